//! The static knot graph of a compiled ink story.
//!
//! Built from the compiled JSON (so it sees exactly what the runtime plays):
//! one node per top-level knot plus `(start)` for the content before the first
//! knot, with an edge for every divert, tunnel, function call and divert-target
//! value, resolved to the knot it lands in.

use serde_json::Value;
use showrunner_core::{Directive, Stakes};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The name of the implicit node for the story's opening content.
pub const START: &str = "(start)";

/// How one knot reaches another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeKind {
    /// A plain divert `-> knot`.
    Divert,
    /// A divert taken inside a choice's content.
    Choice,
    /// A tunnel `-> knot ->`, which returns.
    Tunnel,
    /// A function call, which returns.
    Call,
    /// A divert target stored as a value (`-> knot` as an argument or variable).
    Reference,
}

/// What the graph knows about one knot.
#[derive(Debug, Clone, Default)]
pub struct KnotInfo {
    /// Number of parameters the knot takes.
    pub params: usize,
    /// The knot's own tags: those before its content and on its first line (raw tag text).
    pub knot_tags: Vec<String>,
    /// Every static tag anywhere in the knot, in order.
    pub tags: Vec<String>,
    /// Outgoing edges: target knot and kind.
    pub edges: BTreeSet<(String, EdgeKind)>,
    /// Number of choice points.
    pub choices: usize,
    /// Contains `-> END` or `-> DONE`.
    pub ends: bool,
    /// Contains a tunnel return `->->` or a function return.
    pub returns: bool,
    /// Contains a divert to a variable target, which static analysis cannot follow.
    pub dynamic_divert: bool,
}

impl KnotInfo {
    /// Whether the knot's top tags say `stakes: high`.
    pub fn is_high_stakes(&self) -> bool {
        crate::split_tags(&self.knot_tags).iter().any(|t| {
            matches!(
                Directive::parse(t),
                Ok(Some(Directive::Stakes(Stakes::High)))
            )
        })
    }

    /// The `intensity:` among the knot's top tags, if any.
    pub fn intensity(&self) -> Option<f32> {
        crate::split_tags(&self.knot_tags)
            .iter()
            .find_map(|t| match Directive::parse(t) {
                Ok(Some(Directive::Intensity(i))) => Some(i),
                _ => None,
            })
    }
}

/// The knot graph of a story.
#[derive(Debug, Clone, Default)]
pub struct StoryGraph {
    /// Every knot by name, `(start)` included.
    pub knots: BTreeMap<String, KnotInfo>,
    /// Knots that are called as functions.
    pub functions: BTreeSet<String>,
}

struct Walker<'a> {
    info: &'a mut KnotInfo,
    names: &'a BTreeSet<String>,
    functions: &'a mut BTreeSet<String>,
    /// Text or a choice has been met in this knot.
    seen_content: bool,
    /// The knot's first line is over: later tags are not knot tags.
    first_line_done: bool,
    /// Inside a `str … /str` evaluation (choice text): its tags belong to the choice.
    in_str: bool,
}

impl StoryGraph {
    /// Builds the graph from compiled ink JSON.
    pub fn from_json(json: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let root = v
            .get("root")
            .and_then(Value::as_array)
            .ok_or("no `root` container")?;
        let named = root.last().and_then(Value::as_object);
        let mut names: BTreeSet<String> = named
            .map(|m| {
                m.keys()
                    .filter(|k| !k.starts_with('#') && *k != "global decl")
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        names.insert(START.to_owned());
        let mut g = StoryGraph::default();
        // The opening content: everything in root except the named-content dict.
        let mut start = KnotInfo::default();
        {
            let mut w = Walker {
                info: &mut start,
                names: &names,
                functions: &mut g.functions,
                seen_content: false,
                first_line_done: false,
                in_str: false,
            };
            for (i, item) in root[..root.len().saturating_sub(1)].iter().enumerate() {
                if let Value::Array(c) = item {
                    w.walk(c, &mut vec![i.to_string()]);
                }
            }
        }
        g.knots.insert(START.to_owned(), start);
        if let Some(named) = named {
            for (name, body) in named {
                if name.starts_with('#') || name == "global decl" {
                    continue;
                }
                let Value::Array(body) = body else { continue };
                // Parameters are popped into temporaries before anything else.
                let mut info = KnotInfo {
                    params: body.iter().take_while(|v| v.get("temp=").is_some()).count(),
                    ..KnotInfo::default()
                };
                let mut w = Walker {
                    info: &mut info,
                    names: &names,
                    functions: &mut g.functions,
                    seen_content: false,
                    first_line_done: false,
                    in_str: false,
                };
                w.walk(body, &mut vec![name.clone()]);
                g.knots.insert(name.clone(), info);
            }
        }
        Ok(g)
    }

    /// Knots reachable from `roots` along every kind of edge.
    pub fn reachable_from<'a>(&self, roots: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<String> = roots.into_iter().map(str::to_owned).collect();
        while let Some(k) = queue.pop_front() {
            if !seen.insert(k.clone()) {
                continue;
            }
            if let Some(info) = self.knots.get(&k) {
                queue.extend(info.edges.iter().map(|(t, _)| t.clone()));
            }
        }
        seen
    }

    /// Shortest edge count from `(start)` to every reachable knot.
    pub fn depths(&self) -> BTreeMap<String, usize> {
        self.distances_from(START)
    }

    /// Shortest edge count from knot `from` to every knot reachable from it (`from` at 0;
    /// empty when the graph has no such knot).
    pub fn distances_from(&self, from: &str) -> BTreeMap<String, usize> {
        if !self.knots.contains_key(from) {
            return BTreeMap::new();
        }
        let mut depth = BTreeMap::from([(from.to_owned(), 0usize)]);
        let mut queue = VecDeque::from([from.to_owned()]);
        while let Some(k) = queue.pop_front() {
            let d = depth[&k];
            for (t, _) in &self.knots[&k].edges {
                if !depth.contains_key(t) && self.knots.contains_key(t) {
                    depth.insert(t.clone(), d + 1);
                    queue.push_back(t.clone());
                }
            }
        }
        depth
    }

    /// Knots from which some path reaches `END`/`DONE` (or returns, for
    /// tunnels and functions). Variable diverts are assumed to get there.
    pub fn can_finish(&self) -> BTreeSet<String> {
        // Propagate backwards along divert and choice edges: linear in the graph.
        let mut preds: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (n, k) in &self.knots {
            for (t, kind) in &k.edges {
                if matches!(kind, EdgeKind::Divert | EdgeKind::Choice) {
                    preds.entry(t.as_str()).or_default().push(n.as_str());
                }
            }
        }
        let mut ok: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<&str> = self
            .knots
            .iter()
            .filter(|(n, k)| k.ends || k.returns || k.dynamic_divert || self.functions.contains(*n))
            .map(|(n, _)| n.as_str())
            .collect();
        while let Some(n) = queue.pop_front() {
            if ok.insert(n.to_owned()) {
                queue.extend(preds.get(n).into_iter().flatten().copied());
            }
        }
        ok
    }

    /// Graphviz DOT of the knot graph. Interludes are drawn as red octagons,
    /// knots that end the story as double circles, functions are left out.
    pub fn to_dot(&self, title: &str, interludes: &BTreeSet<String>) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = format!(
            "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
            q(title)
        );
        for (name, k) in &self.knots {
            if self.functions.contains(name) {
                continue;
            }
            let style = if interludes.contains(name) {
                " [shape=octagon, color=red, fontcolor=red]"
            } else if name == START {
                " [shape=circle]"
            } else if k.ends {
                " [shape=doublecircle]"
            } else {
                ""
            };
            out += &format!("  {}{style};\n", q(name));
        }
        for (name, k) in &self.knots {
            for (t, kind) in &k.edges {
                if self.functions.contains(t) || !self.knots.contains_key(t) {
                    continue;
                }
                let attr = match kind {
                    EdgeKind::Divert => "",
                    EdgeKind::Choice => " [color=blue, label=\"choice\"]",
                    EdgeKind::Tunnel => " [style=dashed, label=\"tunnel\"]",
                    EdgeKind::Call => " [style=dotted]",
                    EdgeKind::Reference => " [style=dotted, label=\"ref\"]",
                };
                out += &format!("  {} -> {}{attr};\n", q(name), q(t));
            }
        }
        out += "}\n";
        out
    }
}

impl Walker<'_> {
    /// Resolves an ink path (absolute, or relative with `.^`) from container
    /// path `here` to the top-level knot it lands in.
    fn target_knot(&self, path: &str, here: &[String]) -> Option<String> {
        let first = if let Some(rel) = path.strip_prefix('.') {
            // The divert object itself is the first level `^` climbs out of.
            let mut cur: Vec<&str> = here.iter().map(String::as_str).collect();
            cur.push("");
            for comp in rel.split('.') {
                if comp == "^" {
                    cur.pop();
                } else {
                    cur.push(comp);
                }
            }
            cur.first().map(|s| s.to_string())
        } else {
            path.split('.').next().map(str::to_owned)
        };
        match first {
            Some(f) if self.names.contains(&f) => Some(f),
            // Numeric first components are indices into root: the opening content.
            Some(f) if f.parse::<usize>().is_ok() => Some(START.to_owned()),
            _ => None,
        }
    }

    fn edge(&mut self, path: &str, kind: EdgeKind, here: &[String]) {
        if let Some(k) = self.target_knot(path, here) {
            if kind == EdgeKind::Call {
                self.functions.insert(k.clone());
            }
            // Internal jumps (to the knot itself) are not graph edges.
            if here.first() != Some(&k) || kind == EdgeKind::Call {
                self.info.edges.insert((k, kind));
            }
        }
    }

    /// Walks a container's items; `here` is the container's own path.
    fn walk(&mut self, items: &[Value], here: &mut Vec<String>) {
        let mut i = 0;
        while i < items.len() {
            let item = &items[i];
            match item {
                Value::String(s) if s == "#" => {
                    // A tag: `#`, its parts, `/#`. Dynamic parts make it unknowable statically.
                    let mut text = String::new();
                    let mut dynamic = false;
                    i += 1;
                    while i < items.len() && items[i].as_str() != Some("/#") {
                        match items[i].as_str() {
                            Some(s) if s.starts_with('^') => text.push_str(&s[1..]),
                            _ => dynamic = true,
                        }
                        i += 1;
                    }
                    if !dynamic {
                        self.push_tag(text);
                    }
                }
                Value::String(s) => match s.as_str() {
                    "end" | "done" => self.info.ends = true,
                    "->->" | "~ret" => self.info.returns = true,
                    "str" => self.in_str = true,
                    "/str" => self.in_str = false,
                    "\n" if self.seen_content => self.first_line_done = true,
                    s if s.starts_with('^') => self.seen_content = true,
                    _ => {}
                },
                Value::Object(m) if i + 1 == items.len() => {
                    // The trailing object holds named sub-containers and flags.
                    for (k, child) in m {
                        if let Value::Array(c) = child {
                            here.push(k.clone());
                            self.walk(c, here);
                            here.pop();
                        }
                    }
                }
                Value::Object(m) => self.walk_object(m, here),
                Value::Array(c) => {
                    let name = c
                        .last()
                        .and_then(Value::as_object)
                        .and_then(|m| m.get("#n"))
                        .and_then(Value::as_str)
                        .map_or_else(|| i.to_string(), str::to_owned);
                    here.push(name);
                    self.walk(c, here);
                    here.pop();
                }
                _ => {}
            }
            i += 1;
        }
    }

    fn walk_object(&mut self, m: &serde_json::Map<String, Value>, here: &[String]) {
        let in_choice = here.iter().any(|c| c.starts_with("c-"));
        if let Some(p) = m.get("->").and_then(Value::as_str) {
            if m.get("var").and_then(Value::as_bool) == Some(true) {
                self.info.dynamic_divert = true;
            } else {
                self.edge(
                    p,
                    if in_choice {
                        EdgeKind::Choice
                    } else {
                        EdgeKind::Divert
                    },
                    here,
                );
            }
        }
        if let Some(p) = m.get("->t->").and_then(Value::as_str) {
            if m.get("var").and_then(Value::as_bool) != Some(true) {
                self.edge(p, EdgeKind::Tunnel, here);
            }
        }
        if let Some(p) = m.get("f()").and_then(Value::as_str) {
            self.edge(p, EdgeKind::Call, here);
        }
        if let Some(p) = m.get("^->").and_then(Value::as_str) {
            self.edge(p, EdgeKind::Reference, here);
        }
        if m.contains_key("*") {
            self.info.choices += 1;
            self.seen_content = true;
            self.first_line_done = true;
        }
        if let Some(t) = m.get("#").and_then(Value::as_str) {
            // Legacy tag form.
            self.push_tag(t.to_owned());
        }
    }

    fn push_tag(&mut self, text: String) {
        let text = text.trim().to_owned();
        if !self.first_line_done && !self.in_str {
            self.info.knot_tags.push(text.clone());
        }
        self.info.tags.push(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile_source;
    use std::path::Path;

    const INK: &str = "\
VAR x = 0
Opening. # scene: shore
-> a
=== a ===
# scene: deck
A.
* [Left] -> b
* [Right] -> c
=== b ===
B. -> t -> 
~ x = f(1)
-> END
=== c ===
C.
-> c_loop
=== c_loop ===
Round and round.
-> c_loop
=== t ===
In the tunnel.
->->
=== function f(y) ===
~ return y + 1
=== wave ===
# stakes: high
# intensity: 0.9
A wave!
-> DONE
=== lonely(n) ===
Nobody comes here.
-> END
";

    #[test]
    fn builds_the_knot_graph() {
        let s = compile_source(INK, "g.ink", Path::new(".")).unwrap();
        let g = StoryGraph::from_json(&s.json).unwrap();
        assert!(g.knots[START]
            .edges
            .contains(&("a".into(), EdgeKind::Divert)));
        assert!(g.knots["a"].edges.contains(&("b".into(), EdgeKind::Choice)));
        assert_eq!(g.knots["a"].choices, 2);
        assert!(g.knots["b"].edges.contains(&("t".into(), EdgeKind::Tunnel)));
        assert!(g.functions.contains("f"));
        assert!(g.knots["wave"].is_high_stakes());
        assert_eq!(g.knots["wave"].intensity(), Some(0.9));
        assert_eq!(g.knots["lonely"].params, 1);
        assert_eq!(g.knots["a"].params, 0);
        let reach = g.reachable_from([START]);
        assert!(reach.contains("c_loop") && !reach.contains("wave") && !reach.contains("lonely"));
        let fin = g.can_finish();
        assert!(fin.contains("a") && fin.contains("b") && fin.contains("wave"));
        assert!(!fin.contains("c") && !fin.contains("c_loop"), "{fin:?}");
        assert_eq!(g.depths()["b"], 2);
        let dot = g.to_dot("g", &BTreeSet::from(["wave".to_owned()]));
        assert!(dot.contains("\"a\" -> \"b\" [color=blue"), "{dot}");
        assert!(dot.contains("\"wave\" [shape=octagon"), "{dot}");
    }
}
