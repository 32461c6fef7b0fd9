//! What the writer is asked: short, plain instructions a small model can follow, with the
//! premise, the last lines of the story, what the director wants and who may speak.

use crate::{Intent, Message, Request};

/// How many lines of the story so far the writer sees.
pub const SO_FAR_LINES: usize = 6;

/// The system message: the format of the reply.
pub const SYSTEM: &str = "You write short scenes for an interactive film. Reply with plain lines of text only: no titles, no lists, no markdown, no stage directions in brackets.";

fn who_speaks(cast: &[String]) -> String {
    match cast {
        [] => "No character speaks: write narration only.".to_owned(),
        names => {
            let caps: Vec<String> = names.iter().map(|n| n.to_uppercase()).collect();
            format!(
                "Only {} may speak; write a spoken line as {}: followed by the words. Everything else is narration.",
                caps.join(" or "),
                caps[0]
            )
        }
    }
}

fn wants(intent: Intent) -> &'static str {
    match intent {
        Intent::Stakes => "The viewer is getting bored: something goes wrong and the danger grows.",
        Intent::Relief => "The viewer is overwhelmed: a quiet, calm moment of relief.",
        Intent::Course => "Keep the mood of the story.",
    }
}

fn ask(so_far: &str, premise: &str, intent: Intent, cast: &[String]) -> String {
    format!(
        "The story so far ends:\n{so_far}\n\nWrite what happens next: {premise}.\n{}\n{}\nWrite 4 short lines. Then write two choices for the viewer, each on its own line starting with CHOICE:",
        wants(intent),
        who_speaks(cast),
    )
}

/// One worked example, so a small model sees the shape of a reply: its speaker is the first
/// who may speak (narration only when none may).
fn example(cast: &[String]) -> [Message; 2] {
    let reply = match cast.first() {
        Some(name) => {
            let n = name.to_uppercase();
            format!("A gull lands on the rail with a paper tied to its leg.\n{n}: Nobody sends a gull. Not on purpose.\nThe paper is wet, and the ink has run.\n{n}: It is a name. Yours.\nCHOICE: Read the name aloud\nCHOICE: Throw it into the sea")
        }
        None => "A gull lands on the rail with a paper tied to its leg.\nNobody sends a gull. Not on purpose.\nThe paper is wet, and the ink has run.\nIt is a name. Your own.\nCHOICE: Read the name aloud\nCHOICE: Throw it into the sea".to_owned(),
    };
    [
        Message {
            role: "user",
            content: ask(
                "The boat backs away, already small.",
                "a gull brings a message",
                Intent::Course,
                cast,
            ),
        },
        Message {
            role: "assistant",
            content: reply,
        },
    ]
}

/// The chat for `request`; `refused` says why the last reply was refused (empty the first
/// time).
pub fn chat(request: &Request, refused: &[String]) -> Vec<Message> {
    let so_far: Vec<&str> = request
        .so_far
        .iter()
        .rev()
        .take(SO_FAR_LINES)
        .rev()
        .map(|l| l.trim())
        .collect();
    let mut user = ask(
        &so_far.join("\n"),
        &request.point.premise,
        request.intent,
        &request.point.cast,
    );
    if !refused.is_empty() {
        user.push_str("\n\nYour last reply was refused: ");
        user.push_str(&refused.join("; "));
        user.push_str(". Write it again.");
    }
    let mut chat = vec![Message {
        role: "system",
        content: SYSTEM.to_owned(),
    }];
    chat.extend(example(&request.point.cast));
    chat.push(Message {
        role: "user",
        content: user,
    });
    chat
}

/// What the log keeps of the prompt: the premise, the intent and who may speak (never the
/// story's text).
pub fn summary(request: &Request) -> String {
    format!(
        "{} [intent: {}; cast: {}]",
        request.point.premise,
        request.intent.name(),
        if request.point.cast.is_empty() {
            "narration".to_owned()
        } else {
            request.point.cast.join(", ")
        }
    )
}
