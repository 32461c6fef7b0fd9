//! The tags an author writes after a choice's closing bracket (`* [Row out to the wreck] #
//! stakes: high`, the form inkle's documentation and Inky use). Ink gives them to the line
//! printed once the choice is taken, not to the choice (inkjs and bladeink agree), so the
//! director, which weighs a choice before the viewer takes it, would never see them. They are
//! read here from the compiled story instead: for each choice point whose text is plain (no
//! expression in it), the tags its branch prints before its first newline, keyed by the knot
//! and the choice's text.
//!
//! Read once per story; a choice whose text is built at run time (`{name}`) keeps only its
//! bracket tags.

use serde_json::Value;
use std::collections::HashMap;

/// Tags after `]`, by knot, then by choice text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct AfterBracket {
    by_knot: HashMap<String, Vec<(String, Vec<String>)>>,
}

impl AfterBracket {
    /// Reads them from compiled ink JSON; a shape it does not know is skipped, never an error.
    pub(crate) fn from_json(json: &str, start: &str) -> Self {
        let mut out = Self::default();
        let Ok(root) = serde_json::from_str::<Value>(json) else {
            return out;
        };
        let Some(root) = root.get("root").and_then(Value::as_array) else {
            return out;
        };
        // The opening content (the knots, in the root's trailing object, are walked below).
        let opening = match root.last() {
            Some(Value::Object(_)) => &root[..root.len() - 1],
            _ => &root[..],
        };
        out.walk(start, opening, &mut vec![root]);
        if let Some(Value::Object(knots)) = root.last() {
            for (name, knot) in knots {
                if let Some(body) = knot.as_array() {
                    out.walk(name, body, &mut vec![root, body]);
                }
            }
        }
        out
    }

    /// The tags after `]` of the choice reading `text` in `knot` (else in any knot where that
    /// text is one choice's only).
    pub(crate) fn get(&self, knot: &str, text: &str) -> &[String] {
        let text = text.trim();
        fn find<'a>(list: &'a [(String, Vec<String>)], text: &str) -> Option<&'a [String]> {
            list.iter()
                .find(|(t, _)| t == text)
                .map(|(_, tags)| tags.as_slice())
        }
        if let Some(tags) = self.by_knot.get(knot).and_then(|l| find(l, text)) {
            return tags;
        }
        let mut found = self.by_knot.values().filter_map(|l| find(l, text));
        match (found.next(), found.next()) {
            (Some(tags), None) => tags,
            _ => &[],
        }
    }

    /// Walks container `c` of `knot` (its ancestors on `stack`, `c` last), recording choices.
    fn walk<'a>(&mut self, knot: &str, c: &'a [Value], stack: &mut Vec<&'a [Value]>) {
        for (i, v) in c.iter().enumerate() {
            match v {
                Value::Object(o) if o.contains_key("*") => {
                    let Some(text) = choice_text(&c[..i]) else {
                        continue;
                    };
                    let target = o["*"].as_str().and_then(|p| resolve(p, stack));
                    let tags = target.map(line_tags).unwrap_or_default();
                    if !tags.is_empty() {
                        self.by_knot
                            .entry(knot.to_owned())
                            .or_default()
                            .push((text, tags));
                    }
                }
                Value::Array(inner) => {
                    stack.push(inner);
                    self.walk(knot, inner, stack);
                    stack.pop();
                }
                // Named sub-containers (stitches, gathers, choice branches) sit in the
                // container's trailing object.
                Value::Object(named) if i + 1 == c.len() => {
                    for (key, sub) in named {
                        if let (false, Some(inner)) = (key.starts_with('#'), sub.as_array()) {
                            stack.push(inner);
                            self.walk(knot, inner, stack);
                            stack.pop();
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Which knot each plain line of text is written in (`None` where several knots have it), for
/// telling the knot of a line the runtime no longer points into (the story ended right after
/// it).
pub(crate) fn line_knots(json: &str) -> HashMap<String, Option<String>> {
    fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::String(s) if s.starts_with('^') => out.push(s[1..].trim()),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut map: HashMap<String, Option<String>> = HashMap::new();
    let Ok(root) = serde_json::from_str::<Value>(json) else {
        return map;
    };
    let Some(Value::Object(knots)) = root.get("root").and_then(|r| r.as_array()?.last()) else {
        return map;
    };
    for (name, body) in knots {
        let mut found = Vec::new();
        strings(body, &mut found);
        for text in found.into_iter().filter(|t| !t.is_empty()) {
            map.entry(text.to_owned())
                .and_modify(|k| {
                    if k.as_deref() != Some(name.as_str()) {
                        *k = None;
                    }
                })
                .or_insert_with(|| Some(name.clone()));
        }
    }
    map
}

/// The text of the choice whose point follows `before`: its `str … /str` block just before,
/// plain text only (tags inside it left out).
fn choice_text(before: &[Value]) -> Option<String> {
    let n = before.len();
    if n < 3 || before[n - 1] != "/ev" || before[n - 2] != "/str" {
        return None;
    }
    let open = before[..n - 2].iter().rposition(|v| v == "str")?;
    let mut text = String::new();
    let mut in_tag = false;
    for v in &before[open + 1..n - 2] {
        match v.as_str() {
            Some("#") => in_tag = true,
            Some("/#") => in_tag = false,
            Some(s) if s.starts_with('^') => {
                if !in_tag {
                    text.push_str(&s[1..]);
                }
            }
            // An expression or a divert: the text is made at run time.
            _ => return None,
        }
    }
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Follows a choice point's target path from the container holding it (`stack`'s last).
fn resolve<'a>(path: &str, stack: &[&'a [Value]]) -> Option<&'a [Value]> {
    let mut parts = path.split('.').peekable();
    let mut depth = stack.len().checked_sub(1)?;
    if path.starts_with('.') {
        parts.next(); // the empty component before the leading dot
                      // The first `^` is the container holding the choice point; each further one its parent.
        let mut first = true;
        while parts.peek() == Some(&"^") {
            parts.next();
            if !first {
                depth = depth.checked_sub(1)?;
            }
            first = false;
        }
    } else {
        depth = 0;
    }
    let mut here: &'a [Value] = stack[depth];
    for part in parts {
        here = match part.parse::<usize>() {
            Ok(k) => here.get(k)?.as_array()?,
            Err(_) => here.last()?.as_object()?.get(part)?.as_array()?,
        };
    }
    Some(here)
}

/// The tags a branch prints on its first line (before its first newline).
fn line_tags(branch: &[Value]) -> Vec<String> {
    let mut tags = Vec::new();
    let mut tag: Option<String> = None;
    for v in branch {
        match (v, &mut tag) {
            (Value::String(s), Some(t)) if s.starts_with('^') => t.push_str(&s[1..]),
            (Value::String(s), _) if s == "#" => tag = Some(String::new()),
            (Value::String(s), Some(_)) if s == "/#" => {
                let t = tag.take().unwrap_or_default();
                let t = t.trim();
                if !t.is_empty() {
                    tags.push(t.to_owned());
                }
            }
            (Value::String(s), None) if s.starts_with('^') => {}
            (Value::Object(o), None) if o.len() == 1 && o.contains_key("#") => {
                if let Some(t) = o["#"].as_str() {
                    tags.push(t.trim().to_owned());
                }
            }
            _ => break,
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile_source;
    use std::path::Path;

    #[test]
    fn tags_after_the_bracket_are_found_for_plain_choices() {
        let src = "-> harbour\n=== harbour ===\nThe wreck.\n* [Row out to the wreck] # stakes: high\n  -> wreck\n* Wait on the quay # stakes: low\n  You wait.\n  -> END\n* [Walk # intensity: 0.2] away. # fate: mara=alive\n  -> END\n* [Swim {1}] # stakes: high\n  -> END\n=== wreck ===\nCold water.\n* [Dive] # intensity: 0.9\n  -> END\n";
        let story = compile_source(src, "w.ink", Path::new(".")).unwrap();
        let a = AfterBracket::from_json(&story.json, "(start)");
        assert_eq!(a.get("harbour", "Row out to the wreck"), ["stakes: high"]);
        assert_eq!(a.get("harbour", "Walk"), ["fate: mara=alive"]);
        assert!(
            a.get("harbour", "Swim 1").is_empty(),
            "text made at run time: not read"
        );
        assert_eq!(a.get("wreck", "Dive"), ["intensity: 0.9"]);
        assert_eq!(
            a.get("elsewhere", "Dive"),
            ["intensity: 0.9"],
            "a unique text anywhere"
        );
        assert!(AfterBracket::from_json("not json", "(start)")
            .by_knot
            .is_empty());
    }
}
