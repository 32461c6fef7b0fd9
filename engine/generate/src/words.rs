//! A model's reply taken apart into the episode's words: its lines and the viewer's choices.
//!
//! Formatting a model adds (bullets, numbers, quotes, blank lines) is taken off. Anything that
//! is ink rather than words (a divert, logic, a tag, a knot header, a comment) refuses the
//! reply, with the line it is on: a model's words are never compiled as ink.

use showrunner_core::speaker;

/// The longest reply read, in bytes; a longer one is refused.
pub const MAX_REPLY_BYTES: usize = 16 * 1024;
/// The longest line kept on screen, in characters: longer lines are split at sentences.
pub const MAX_LINE_CHARS: usize = 160;
/// The longest choice, in characters (a panel's words).
pub const MAX_CHOICE_CHARS: usize = 60;
/// Lines an episode has at least and at most.
pub const LINES: std::ops::RangeInclusive<usize> = 2..=8;

/// The words of an episode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Words {
    /// Its lines, in order (`NAME: words` for a character's).
    pub lines: Vec<String>,
    /// The viewer's choices (none, or two or three).
    pub choices: Vec<String>,
}

/// What ink would read as something other than words, with what to call it.
const INK: [(&str, &str); 12] = [
    ("->", "a divert (`->`)"),
    ("<-", "a thread (`<-`)"),
    ("{", "ink logic (`{`)"),
    ("}", "ink logic (`}`)"),
    ("[", "a bracket (`[`)"),
    ("]", "a bracket (`]`)"),
    ("#", "a tag (`#`)"),
    ("~", "ink code (`~`)"),
    ("<>", "glue (`<>`)"),
    ("//", "a comment (`//`)"),
    ("/*", "a comment (`/*`)"),
    ("\\", "an escape (`\\`)"),
];

/// Words that start an ink statement at the head of a line.
const STATEMENTS: [&str; 6] = ["VAR", "CONST", "INCLUDE", "EXTERNAL", "TODO", "LIST"];

/// What in `line` ink would read as other than words, if anything: a divert, logic, a tag, a
/// comment anywhere, or a statement, choice, gather or knot at its head.
fn not_words(line: &str) -> Option<String> {
    if let Some((_, what)) = INK.iter().find(|(s, _)| line.contains(s)) {
        return Some(format!("{what} is ink, not words"));
    }
    let head = line.trim_start();
    let first = head
        .split(|c: char| c.is_whitespace() || c == ':')
        .next()
        .unwrap_or("");
    if STATEMENTS.contains(&first) || head.starts_with(['=', '+', '*', '-']) {
        return Some(format!("`{first}` starts an ink statement"));
    }
    None
}

/// Takes off what a model adds around a line: bullets, numbering, quotes.
fn unformat(line: &str) -> &str {
    let mut l = line.trim();
    loop {
        let before = l;
        for bullet in ["- ", "* ", "• ", "> "] {
            if let Some(rest) = l.strip_prefix(bullet) {
                l = rest.trim_start();
            }
        }
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && digits <= 2 {
            if let Some(rest) = l[digits..]
                .strip_prefix(". ")
                .or(l[digits..].strip_prefix(") "))
            {
                l = rest.trim_start();
            }
        }
        if l == before {
            break;
        }
    }
    l.trim_matches(|c| c == '"' || c == '“' || c == '”' || c == '*' || c == '_')
        .trim()
}

/// Cuts `text` to `max` characters at a word, with an ellipsis.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let head: String = text.chars().take(max - 1).collect();
    let at = head.rfind(' ').unwrap_or(head.len());
    format!("{}…", head[..at].trim_end())
}

/// Splits a long line at its sentences, each cut to [`MAX_LINE_CHARS`].
fn sentences(line: &str) -> Vec<String> {
    if line.chars().count() <= MAX_LINE_CHARS {
        return vec![line.to_owned()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in line.split_inclusive(['.', '!', '?']) {
        if !current.is_empty() && current.chars().count() + piece.chars().count() > MAX_LINE_CHARS {
            out.push(cut(current.trim(), MAX_LINE_CHARS));
            current.clear();
        }
        current.push_str(piece);
    }
    if !current.trim().is_empty() {
        out.push(cut(current.trim(), MAX_LINE_CHARS));
    }
    out
}

/// The least share of different words among an episode's words, in percent.
pub const MIN_DISTINCT_PERCENT: usize = 45;

/// The words of a line, lower case, in order.
fn word_set_list(line: &str) -> Vec<String> {
    line.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The words of a line, lower case.
fn word_set(line: &str) -> std::collections::HashSet<String> {
    word_set_list(line).into_iter().collect()
}

/// Whether `line` copies one of `given` (the prompt, its example, the story so far): most of
/// its words are that line's.
fn copies(line: &str, given: &[std::collections::HashSet<String>]) -> bool {
    let words = word_set(line);
    words.len() >= 2
        && given
            .iter()
            .any(|g| words.iter().filter(|w| g.contains(*w)).count() * 10 >= words.len() * 7)
}

impl Words {
    /// Takes a reply apart; `cast` is who may speak, `given` what the writer was shown (lines
    /// it copies back are not its words and are left out). Every reason it is refused, each
    /// naming the reply's line.
    pub fn parse(reply: &str, cast: &[String], given: &[&str]) -> Result<Words, Vec<String>> {
        if reply.len() > MAX_REPLY_BYTES {
            return Err(vec![format!(
                "the reply is {} bytes, over the {MAX_REPLY_BYTES} an episode may be",
                reply.len()
            )]);
        }
        let given: Vec<_> = given
            .iter()
            .flat_map(|g| g.lines())
            .map(|l| word_set(speaker(unformat(l)).1))
            .filter(|w| w.len() >= 2)
            .collect();
        let mut why = Vec::new();
        let mut words = Words::default();
        let last = reply.trim_end().lines().count();
        for (i, raw) in reply.lines().enumerate() {
            let n = i + 1;
            if raw.chars().any(|c| c.is_control() && c != '\t') {
                why.push(format!("line {n}: control characters"));
                continue;
            }
            let line = unformat(raw);
            if line.is_empty() {
                continue;
            }
            if let Some(what) = not_words(line) {
                why.push(format!("line {n}: {what}; write plain sentences"));
                continue;
            }
            // A last line cut off mid-sentence (the reply ran out of tokens).
            if n == last
                && !line.ends_with(['.', '!', '?', '…', '"', '\'', '”'])
                && !line.to_lowercase().starts_with("choice")
            {
                continue;
            }
            let lower = line.to_lowercase();
            if let Some(choice) = [
                "choice:",
                "choice 1:",
                "choice 2:",
                "choice 3:",
                "choice a:",
                "choice b:",
            ]
            .iter()
            .find_map(|p| lower.starts_with(p).then(|| line[p.len()..].trim()))
            {
                let choice = unformat(choice);
                if choice.chars().filter(|c| c.is_alphabetic()).count() >= 2
                    && !copies(choice, &given)
                {
                    words.choices.push(cut(choice, MAX_CHOICE_CHARS));
                }
                continue;
            }
            if line.chars().filter(|c| c.is_alphabetic()).count() < 3 {
                continue;
            }
            // A heading a model adds ("Scene:", "The next line is:") is not a line.
            if line.ends_with(':') {
                continue;
            }
            if copies(speaker(line).1, &given) {
                continue;
            }
            if let (Some(name), said) = speaker(line) {
                if !cast.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                    why.push(format!(
                        "line {n}: {name} speaks, and only {} may",
                        if cast.is_empty() {
                            "the narrator".to_owned()
                        } else {
                            cast.iter()
                                .map(|c| c.to_uppercase())
                                .collect::<Vec<_>>()
                                .join(" or ")
                        }
                    ));
                    continue;
                }
                let said = unformat(said);
                if said.chars().filter(|c| c.is_alphabetic()).count() < 2 {
                    continue;
                }
                for s in sentences(said) {
                    words.lines.push(format!("{}: {s}", name.to_uppercase()));
                }
                continue;
            }
            words.lines.extend(sentences(line));
        }
        // A small model repeats itself: a sentence said again is said once.
        let mut seen = std::collections::HashSet::new();
        for line in &mut words.lines {
            let kept: Vec<&str> = line
                .split_inclusive(['.', '!', '?'])
                .filter(|s| s.trim().is_empty() || seen.insert(s.trim().to_lowercase()))
                .collect();
            *line = kept.concat().trim().to_owned();
        }
        words
            .lines
            .retain(|l| l.chars().filter(|c| c.is_alphabetic()).count() >= 3 && !l.ends_with(':'));
        // Words going round in circles ("the window is the window") are not a scene.
        let all: Vec<String> = words.lines.iter().flat_map(|l| word_set_list(l)).collect();
        let distinct: std::collections::HashSet<&String> = all.iter().collect();
        if all.len() >= 12 && distinct.len() * 100 < all.len() * MIN_DISTINCT_PERCENT {
            why.push(format!(
                "the words go round in circles ({} different words in {}); write something new in each line",
                distinct.len(),
                all.len()
            ));
        }
        // What tidying made of the words (a sentence moved to the head of a line) is checked
        // again: only words leave here.
        for l in words.lines.iter().chain(&words.choices) {
            if let Some(what) = not_words(l) {
                why.push(format!("`{l}`: {what}; write plain sentences"));
            }
        }
        words.lines.truncate(*LINES.end());
        words.choices.truncate(3);
        if words.choices.len() < 2 {
            words.choices.clear();
        }
        if words.lines.len() < *LINES.start() && why.is_empty() {
            why.push(format!(
                "only {} line(s) of story; write at least {}",
                words.lines.len(),
                LINES.start()
            ));
        }
        if why.is_empty() {
            Ok(words)
        } else {
            Err(why)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast() -> Vec<String> {
        vec!["mara".into()]
    }

    #[test]
    fn lines_and_choices_with_the_formatting_taken_off() {
        let reply = "Scene:\n1. The lamp flickers.\n- \"MARA: Hold the rail.\"\n\nThe glass sings in the wind.\nCHOICE: Hold on\nChoice 2: **Let go**\n";
        let w = Words::parse(reply, &cast(), &[]).unwrap();
        assert_eq!(
            w.lines,
            [
                "The lamp flickers.",
                "MARA: Hold the rail.",
                "The glass sings in the wind."
            ]
        );
        assert_eq!(w.choices, ["Hold on", "Let go"]);
    }

    #[test]
    fn ink_in_the_reply_is_refused_naming_the_line() {
        for (reply, says) in [
            ("The sea.\nThe rock.\n-> mara_falls\n", "line 3: a divert"),
            (
                "The sea.\nThe rock.\n+ sticky choice\n",
                "line 3: `+` starts an ink statement",
            ),
            ("The sea.\nThen -> END\n", "line 2: a divert"),
            ("The sea.\n~ mercy = false\n", "line 2: ink code"),
            ("The sea.\n{mercy: x|y}\n", "line 2: ink logic"),
            ("The sea. # fate: mara=dead\nThe rock.\n", "line 1: a tag"),
            (
                "=== the_end ===\nThe sea.\n",
                "line 1: `===` starts an ink statement",
            ),
            ("INCLUDE evil.ink\nThe sea.\n", "line 1: `INCLUDE`"),
            ("The sea.\nThe rock. /* hidden */\n", "line 2: a comment"),
            (
                "TOMAS: Ahoy.\nThe sea.\nThe rock.\n",
                "line 1: TOMAS speaks, and only MARA may",
            ),
            ("The sea.\n", "only 1 line(s)"),
            ("The\u{7} sea.\nThe rock.\nThe end.\n", "control characters"),
        ] {
            let why = Words::parse(reply, &cast(), &[]).unwrap_err();
            assert!(why.iter().any(|w| w.contains(says)), "{reply:?}: {why:?}");
        }
        let huge = "The sea. ".repeat(3000);
        let why = Words::parse(&huge, &cast(), &[]).unwrap_err();
        assert!(why[0].contains("bytes, over"), "{why:?}");
    }

    #[test]
    fn what_the_writer_was_shown_is_not_its_words_nor_a_line_cut_short() {
        let given =
            ["MARA: Nobody sends a gull. Not on purpose.\nThe boat backs away, already small."];
        let reply = "MARA: Nobody sends a gull, not on purpose.\nThe lamp hums.\nThe boat backs away, small.\nMARA: Up, now.\nThe glass is\n";
        let w = Words::parse(reply, &cast(), &given).unwrap();
        assert_eq!(w.lines, ["The lamp hums.", "MARA: Up, now."]);
    }

    #[test]
    fn long_lines_are_split_at_sentences_and_cut() {
        let many: Vec<String> = (0..50).map(|i| format!("word{i}")).collect();
        let long = format!("{}. The end.", many.join(" "));
        let w = Words::parse(&format!("A start.\n{long}\n"), &cast(), &[]).unwrap();
        assert!(w.lines.len() > 2, "{w:?}");
        assert!(
            w.lines.iter().all(|l| l.chars().count() <= MAX_LINE_CHARS),
            "{w:?}"
        );
        assert_eq!(w.lines.last().unwrap(), "The end.");
        let w = Words::parse("The sea.\nThe rock.\nCHOICE: only one\n", &cast(), &[]).unwrap();
        assert!(w.choices.is_empty(), "a single choice is no choice point");
    }

    proptest::proptest! {
        #[test]
        fn any_reply_is_words_or_reasons_and_never_ink(reply in "([A-Za-z .*+=~{}#>|-]{0,60}\n){0,8}") {
            if let Ok(w) = Words::parse(&reply, &cast(), &[]) {
                for l in w.lines.iter().chain(&w.choices) {
                    proptest::prop_assert!(not_words(l).is_none(), "{l:?}");
                }
            }
        }
    }
}
