//! `showrunner write "PREMISE"`: a complete short story drafted from a description.
//!
//! The shape is the project's ([`OUTLINE`]: eight knots, a choice that branches and joins, a
//! choice that decides a character's fate and leads to one of two endings, a high-stakes
//! interlude, an extension point, directive tags on every knot); the words are the model's,
//! knot by knot, each reply taken apart by [`crate::words`] and tried again with its reasons
//! when refused. The whole draft is then compiled and checked as `showrunner check` checks a
//! story, and against the shape it promises ([`Draft::checks`]).

use crate::words::Words;
use crate::{Message, Writer};
use showrunner_story::{compile_source, Severity};
use std::fmt::Write as _;
use std::path::Path;

/// One knot of the outline.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    /// Its knot.
    pub knot: &'static str,
    /// What happens in it, for the writer.
    pub purpose: &'static str,
    /// Its set.
    pub scene: &'static str,
    /// Its palette.
    pub palette: &'static str,
    /// Its stakes and intensity.
    pub stakes: &'static str,
    /// See `stakes`.
    pub intensity: f32,
    /// Where it goes: one knot, or a choice between two (`[a, b]`).
    pub next: &'static [&'static str],
    /// On a fate choice: whether each option keeps the character alive.
    pub fates: &'static [bool],
    /// `ending:` it is.
    pub ending: Option<&'static str>,
}

/// The outline every draft has. Sets are the sample's, which the player builds without files.
pub const OUTLINE: [Part; 8] = [
    Part { knot: "opening", purpose: "the opening: where we are, who the main character is, and what they want", scene: "landing", palette: "dusk", stakes: "low", intensity: 0.2, next: &["the_call"], fates: &[], ending: None },
    Part { knot: "the_call", purpose: "something arrives that changes everything, and the main character must decide how to go on", scene: "radio_room", palette: "night", stakes: "low", intensity: 0.4, next: &["the_risk", "the_careful_way"], fates: &[], ending: None },
    Part { knot: "the_risk", purpose: "the main character takes the bold, dangerous way", scene: "stairwell", palette: "storm", stakes: "high", intensity: 0.7, next: &["the_turn"], fates: &[], ending: None },
    Part { knot: "the_careful_way", purpose: "the main character takes the careful, slow way, and time runs short", scene: "kitchen", palette: "noir", stakes: "low", intensity: 0.5, next: &["the_turn"], fates: &[], ending: None },
    Part { knot: "the_turn", purpose: "everything goes wrong at once; the main character's life hangs on one choice", scene: "gallery", palette: "storm", stakes: "high", intensity: 0.9, next: &["ending_hope", "ending_loss"], fates: &[true, false], ending: None },
    Part { knot: "ending_hope", purpose: "the ending where the main character survives and something is saved", scene: "dawn_slip", palette: "dawn", stakes: "low", intensity: 0.3, next: &[], fates: &[], ending: Some("hope") },
    Part { knot: "ending_loss", purpose: "the ending where the main character is lost, and what it cost", scene: "ember_slip", palette: "ember", stakes: "low", intensity: 0.4, next: &[], fates: &[], ending: Some("loss") },
    Part { knot: "interlude_shock", purpose: "a sudden shock that comes from nowhere and is gone again", scene: "blackout", palette: "storm", stakes: "high", intensity: 0.85, next: &[], fates: &[], ending: None },
];

/// A drafted story.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The ink.
    pub ink: String,
    /// The main character, as cast and fated.
    pub character: String,
    /// Each promise the draft makes and whether it holds (`check`'s findings among them).
    pub checks: Vec<(String, bool)>,
    /// Each knot's attempts and why each refused one was.
    pub attempts: Vec<(String, Vec<Vec<String>>)>,
}

impl Draft {
    /// Whether every check holds.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }
}

/// A character's name from a reply: its first capitalised word of letters.
fn name_from(reply: &str) -> Option<String> {
    reply
        .split(|c: char| !c.is_alphabetic())
        .find(|w| {
            w.len() >= 2
                && w.len() <= 12
                && w.chars().all(|c| c.is_ascii_alphabetic())
                && w.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && ![
                    "The",
                    "Main",
                    "Character",
                    "Name",
                    "Her",
                    "His",
                    "She",
                    "He",
                    "A",
                    "An",
                    "I",
                    // ink's own words, which would not be words in a line.
                    "Todo",
                    "TODO",
                    "Var",
                    "VAR",
                    "Const",
                    "CONST",
                    "List",
                    "LIST",
                    "Include",
                    "INCLUDE",
                    "External",
                    "EXTERNAL",
                    "Else",
                    "Not",
                    "And",
                    "Or",
                    "True",
                    "False",
                    "Done",
                    "DONE",
                    "End",
                    "END",
                    "Function",
                ]
                .contains(w)
        })
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
            })
        })
}

/// Names who stand in for a main character the writer could not name, picked by the seed.
const NAMES: [&str; 8] = [
    "Ash", "Wren", "Kit", "Rook", "Sable", "Juno", "Ives", "Moss",
];

fn chat(
    premise: &str,
    part: &Part,
    name: &str,
    so_far: &[String],
    refused: &[String],
) -> Vec<Message> {
    let speaker = name.to_uppercase();
    let mut user = format!(
        "We are writing a short interactive film: {premise}.\nThe main character is {name}.\n"
    );
    if !so_far.is_empty() {
        let _ = write!(user, "The story so far ends:\n{}\n", so_far.join("\n"));
    }
    let _ = write!(
        user,
        "Write the next scene: {}.\nWrite 4 short lines. Only {speaker} may speak; write a spoken line as {speaker}: followed by the words.",
        part.purpose
    );
    if part.next.len() == 2 {
        user.push_str(
            " Then write two choices for the viewer, each on its own line starting with CHOICE:",
        );
    }
    if !refused.is_empty() {
        let _ = write!(
            user,
            "\n\nYour last reply was refused: {}. Write it again.",
            refused.join("; ")
        );
    }
    vec![
        Message {
            role: "system",
            content: crate::prompt::SYSTEM.to_owned(),
        },
        Message {
            role: "user",
            content: user,
        },
    ]
}

/// Drafts a story for `premise` with `writer`, each knot tried up to `attempts` times.
pub fn draft(writer: &mut dyn Writer, premise: &str, seed: u64, attempts: usize) -> Draft {
    let ask = vec![
        Message {
            role: "system",
            content: "Reply with one first name only.".to_owned(),
        },
        Message {
            role: "user",
            content: format!("Give a first name for the main character of this story: {premise}"),
        },
    ];
    let character = writer
        .complete(&ask, seed)
        .ok()
        .and_then(|r| name_from(&r))
        .unwrap_or_else(|| NAMES[(seed % NAMES.len() as u64) as usize].to_owned());
    let who = character.to_lowercase();
    let mut out = Draft {
        ink: String::new(),
        character: character.clone(),
        checks: Vec::new(),
        attempts: Vec::new(),
    };
    let title: String = premise
        .chars()
        .filter(|c| !"#{}[]~<>|\\/".contains(*c))
        .collect();
    let _ = writeln!(
        out.ink,
        "// {title}\n// Drafted by `showrunner write` (the words by {}); check it, screen it, edit it in Inky.\n// Sets are the sample's; put your own in sets/NAME.glb beside this file.\n",
        writer.model()
    );
    let _ = writeln!(out.ink, "{} # scene: landing # palette: dusk # stakes: low # intensity: 0.1 # shot: 6 # cast: lead={who}\n-> opening\n", title.trim().to_uppercase());
    let mut so_far: Vec<String> = Vec::new();
    for (k, part) in OUTLINE.iter().enumerate() {
        let wants_choices = part.next.len() == 2;
        let mut refused: Vec<String> = Vec::new();
        let mut tries = Vec::new();
        let mut words = None;
        for n in 0..attempts.max(1) {
            let c = chat(premise, part, &character, &so_far, &refused);
            let given: Vec<&str> = c.iter().map(|m| m.content.as_str()).collect();
            let seed = seed.wrapping_add(1000 * (k as u64 + 1) + n as u64);
            let result = match writer.complete(&c, seed) {
                Ok(reply) => {
                    Words::parse(&reply, std::slice::from_ref(&who), &given).and_then(|w| {
                        if wants_choices && w.choices.len() < 2 {
                            Err(vec![
                                "no choices: write two lines starting with CHOICE:".to_owned()
                            ])
                        } else {
                            Ok(w)
                        }
                    })
                }
                Err(e) => Err(vec![format!("the writer failed: {e}")]),
            };
            match result {
                Ok(w) => {
                    tries.push(Vec::new());
                    words = Some(w);
                    break;
                }
                Err(why) => {
                    tries.push(why.clone());
                    refused = why;
                }
            }
        }
        out.attempts.push((part.knot.to_owned(), tries));
        let Some(words) = words else {
            // The knot stays in the draft, saying what it lacks, and the draft fails.
            let _ = writeln!(out.ink, "=== {} ===\n(The writer gave no usable words for {}.) # scene: {} # stakes: {} # intensity: {}", part.knot, part.purpose, part.scene, part.stakes, part.intensity);
            end_of(
                &mut out.ink,
                part,
                &["Go on".to_owned(), "Go on".to_owned()],
                &who,
            );
            out.checks.push((
                format!("knot `{}` has the writer's words", part.knot),
                false,
            ));
            continue;
        };
        let _ = writeln!(out.ink, "=== {} ===", part.knot);
        for (i, line) in words.lines.iter().enumerate() {
            out.ink.push_str(line);
            if i == 0 {
                let _ = write!(
                    out.ink,
                    " # scene: {} # palette: {} # stakes: {} # intensity: {} # shot: 6",
                    part.scene, part.palette, part.stakes, part.intensity
                );
                if part.knot == "the_turn" {
                    let _ = write!(out.ink, " # extend: {who} meets one more obstacle before the last choice # extend_cast: {who}");
                }
            }
            if let (Some(e), true) = (part.ending, i + 1 == words.lines.len()) {
                let _ = write!(out.ink, " # ending: {e}");
                let fate = if e == "hope" { "alive" } else { "dead" };
                let _ = write!(out.ink, " # fate: {who}={fate}");
            }
            out.ink.push('\n');
        }
        end_of(&mut out.ink, part, &words.choices, &who);
        so_far = words.lines.iter().rev().take(3).rev().cloned().collect();
    }
    let dir = Path::new("");
    match compile_source(&out.ink, "draft.ink", dir) {
        Ok(story) => {
            let report = showrunner_story::check_story(&story);
            let errors: Vec<String> = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.message.clone())
                .collect();
            let s = &report.summary;
            out.checks.push((
                format!(
                    "`check`: {} errors{}",
                    errors.len(),
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", errors.join("; "))
                    }
                ),
                errors.is_empty(),
            ));
            out.checks
                .push((format!("at least 8 knots ({})", s.knots), s.knots >= 8));
            out.checks.push((
                format!("at least 2 endings ({})", s.endings.join(", ")),
                s.endings.len() >= 2,
            ));
            out.checks.push((
                format!("an interlude ({})", s.interludes.join(", ")),
                !s.interludes.is_empty(),
            ));
            let fated = showrunner_story::fate_marks(&story)
                .iter()
                .any(|m| m.who == who);
            out.checks
                .push((format!("a character with a fate ({who})"), fated));
            out.checks.push((
                format!("an extension point ({})", s.extension_points.join(", ")),
                !s.extension_points.is_empty(),
            ));
        }
        Err(e) => out.checks.push((format!("it compiles: {e}"), false)),
    }
    out
}

/// How a knot of the outline ends: its choice (with the fate each option decides), its divert,
/// `-> END` for an ending, `-> DONE` for the interlude.
fn end_of(ink: &mut String, part: &Part, choices: &[String], who: &str) {
    match part.next {
        [one] => {
            let _ = writeln!(ink, "-> {one}\n");
        }
        [a, b] => {
            for (i, (target, text)) in [a, b].iter().zip(choices).enumerate() {
                let _ = write!(ink, "* [{text} # stakes: {}", part.stakes);
                if let Some(alive) = part.fates.get(i) {
                    let _ = write!(
                        ink,
                        " # fate: {who}={}",
                        if *alive { "alive" } else { "dead" }
                    );
                }
                let _ = writeln!(ink, "]\n    -> {target}");
            }
            ink.push('\n');
        }
        _ if part.knot.starts_with("interlude") => {
            let _ = writeln!(ink, "-> DONE\n");
        }
        _ => {
            let _ = writeln!(ink, "-> END\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scripted;

    /// A different scene for knot `k`, with choices when it needs them.
    fn reply(k: usize, choices: bool) -> String {
        const SAID: [&str; 8] = [
            "The city hums under a copper sky.\nJUNO: Tonight we take the vault.",
            "A message arrives on a torn ticket.\nJUNO: They moved the date.",
            "Steam hisses from a broken pipe overhead.\nJUNO: Faster, before the lights come back.",
            "Cold soup waits on a cracked plate.\nJUNO: Patience is a kind of weapon.",
            "Alarms wail through every corridor at once.\nJUNO: Hold my hand and jump.",
            "Morning finds the docks quiet and grey.\nJUNO: We made it, somehow.",
            "Smoke rises where the ship used to be.\nJUNO: Tell them I tried.",
            "Every screen flickers with a stranger's face.\nJUNO: Who are you?",
        ];
        let mut r = SAID[k].to_owned();
        if choices {
            r.push_str(&format!(
                "\nCHOICE: Go in now {k}\nCHOICE: Wait and watch {k}"
            ));
        }
        r
    }

    #[test]
    fn a_draft_has_the_promised_shape_and_passes_check() {
        let mut replies = vec![Ok("Juno".to_owned())];
        for (k, part) in OUTLINE.iter().enumerate() {
            replies.push(Ok(reply(k, part.next.len() == 2)));
        }
        let mut w = Scripted::new(replies);
        let d = draft(&mut w, "a noir heist on a generation ship", 5, 3);
        assert_eq!(d.character, "Juno");
        assert!(d.passed(), "{:#?}\n{}", d.checks, d.ink);
        assert!(d.ink.contains("cast: lead=juno"));
        assert!(d.ink.contains("fate: juno=dead") && d.ink.contains("ending: hope"));
        assert!(
            d.ink
                .contains("* [Go in now 1 # stakes: low]\n    -> the_risk"),
            "{}",
            d.ink
        );
    }

    #[test]
    fn a_name_is_plain_letters_and_not_inks_own_words() {
        assert_eq!(name_from("Her name is Juno."), Some("Juno".into()));
        assert_eq!(name_from("Todo"), None);
        assert_eq!(name_from("Zoë"), None);
    }

    #[test]
    fn a_writer_that_gives_nothing_usable_fails_the_draft_and_says_where() {
        let mut w = Scripted::new([Ok("??".to_owned()), Ok("-> END".to_owned())]);
        let d = draft(&mut w, "a heist", 1, 2);
        assert!(!d.passed());
        assert!(
            d.checks
                .iter()
                .any(|(c, ok)| !ok && c.contains("knot `opening`")),
            "{:?}",
            d.checks
        );
        // A name it could not give is one of the project's.
        assert!(NAMES.contains(&d.character.as_str()));
        assert_eq!(d.attempts[0].1.len(), 2);
    }
}
