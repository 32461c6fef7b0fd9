//! Tests of the changes made for Showrunner (FORK.md): each compiles a small story and plays it
//! with bladeink through the same choices, and checks what inkjs 2.4 prints for that source.

use bladeink::story::Story;
use bladeink_compiler::Compiler;

/// What a player sees: `line | tags` for each line, `[choice | tags]` for each choice offered,
/// taking the `choices` given in order (the first when they run out).
fn play(source: &str, choices: &[usize]) -> Vec<String> {
    let json = Compiler::new().compile(source).expect("it compiles");
    let mut story = Story::new(&json).expect("bladeink reads it");
    let mut out = Vec::new();
    let mut next = choices.iter();
    for _ in 0..200 {
        while story.can_continue() {
            let line = story.cont().expect("it plays");
            let tags = story.get_current_tags().expect("tags");
            out.push(format!(
                "{} | {}",
                line.trim_end_matches('\n'),
                tags.join(", ")
            ));
        }
        let offered = story.get_current_choices();
        if offered.is_empty() {
            return out;
        }
        for c in &offered {
            out.push(format!("[{} | {}]", c.text, c.tags.join(", ")));
        }
        let k = next.next().copied().unwrap_or(0);
        story.choose_choice_index(k).expect("a valid choice");
    }
    panic!("the story did not end: {out:?}");
}

#[test]
fn an_escaped_divert_arrow_is_text() {
    assert_eq!(
        play("An escaped divert \\-> is just text.\n", &[]),
        ["An escaped divert -> is just text. | "]
    );
}

#[test]
fn a_choices_text_ends_at_its_closing_bracket() {
    let src = "\"Where to?\"\n* \"The docks[.\"],\" I said, \"and hurry.\"\n- -> END\n";
    assert_eq!(
        play(src, &[0]),
        [
            "\"Where to?\" | ",
            "[\"The docks.\" | ]",
            "\"The docks,\" I said, \"and hurry.\" | ",
        ]
    );
}

#[test]
fn an_unbracketed_choice_keeps_its_tags_once_chosen() {
    let src = "The boat is late.\n* Wait on the quay # stakes: low\n  You wait.\n- -> END\n";
    assert_eq!(
        play(src, &[0]),
        [
            "The boat is late. | ",
            "[Wait on the quay | stakes: low]",
            "Wait on the quay | stakes: low",
            "You wait. | ",
        ]
    );
}

#[test]
fn a_divert_on_its_own_line_comes_after_the_choices_line_and_its_tags() {
    // inkjs 2.4: the tags after `]` are the chosen line's, then the divert's target follows on
    // a line of its own.
    let src = "The wreck.\n* [Row out to the wreck] # stakes: high\n  -> wreck\n=== wreck ===\nCold water.\n-> END\n";
    assert_eq!(
        play(src, &[0]),
        [
            "The wreck. | ",
            "[Row out to the wreck | ]",
            " | stakes: high",
            "Cold water. | ",
        ]
    );
    let src = "The hall.\n* (ate) [Eat] You ate some bread.\n  -> hall\n=== hall ===\nThe hall. {ate:Fed.}\n-> END\n";
    assert_eq!(
        play(src, &[0]),
        [
            "The hall. | ",
            "[Eat | ]",
            "You ate some bread. | ",
            "The hall. Fed. | ",
        ]
    );
}

#[test]
fn a_chosen_line_of_nothing_but_tags_is_still_a_line() {
    let src = "Start.\n* [Hold on # x-a] # x-b\n  You held on.\n- -> END\n";
    assert_eq!(
        play(src, &[0]),
        ["Start. | ", "[Hold on | x-a]", " | x-b", "You held on. | "]
    );
}

#[test]
fn logic_on_a_branch_line_or_after_a_gather_runs() {
    // `- strong: ~ return "strong"` returns (2.1.0 printed it); `- (done) ~ name = …` assigns.
    let src = "VAR name = \"Mara\"\nVAR strong = true\n{describe()}\n- (done) ~ name = name + \" the Wanderer\"\n{name} left.\n-> END\n=== function describe()\n{\n- strong: ~ return \"strong\"\n- else: ~ return \"weak\"\n}\n";
    assert_eq!(play(src, &[]), ["strong | ", "Mara the Wanderer left. | "]);
}

#[test]
fn a_sequence_element_keeps_its_spaces() {
    let src = "-> fish\n=== fish ===\nYou fish{& for a while| a little longer}.\n+ [Again] -> fish\n+ [Stop] -> END\n";
    assert_eq!(
        play(src, &[0, 1]),
        [
            "You fish for a while. | ",
            "[Again | ]",
            "[Stop | ]",
            "You fish a little longer. | ",
            "[Again | ]",
            "[Stop | ]",
            // `-> END` from a choice prints one empty line, in inkjs too.
            " | ",
        ]
    );
}

#[test]
fn identifiers_may_use_letters_beyond_ascii() {
    let src = "LIST étapes = départ, (traversée)\nVAR naïve = true\n-> départ_du_port\n=== départ_du_port ===\nÉtape : {étapes}. {naïve:Naïf.} {LIST_COUNT(étapes) == 1:Une.}\n-> END\n";
    assert_eq!(play(src, &[]), ["Étape : traversée. Naïf. Une. | "]);
}
