//! Who speaks a line: the one rule the subtitle (the speaker set in the accent) and the
//! stage (the speaker acts it) both follow.

/// A line of dialogue split into its speaker and words: `MARA: Cold hands.` →
/// (`Some("MARA")`, `Cold hands.`). A speaker is one to four words of capitals
/// (as screenplays and ink scripts write them) before a colon and a space.
pub fn speaker(line: &str) -> (Option<&str>, &str) {
    let Some((name, rest)) = line.split_once(": ") else {
        return (None, line);
    };
    let words = name.split_whitespace().count();
    let caps = name.chars().any(char::is_uppercase)
        && name
            .chars()
            .all(|c| c.is_uppercase() || c == ' ' || c == '\'' || c == '-' || c == '.');
    if (1..=4).contains(&words) && name.chars().count() <= 24 && caps {
        (Some(name.trim()), rest.trim_start())
    } else {
        (None, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speakers_are_capitals_before_a_colon() {
        assert_eq!(speaker("MARA: Cold hands."), (Some("MARA"), "Cold hands."));
        assert_eq!(speaker("OLD TOM: Aye."), (Some("OLD TOM"), "Aye."));
        assert_eq!(speaker("Note: not a name"), (None, "Note: not a name"));
        assert_eq!(speaker("No colon here"), (None, "No colon here"));
        assert_eq!(speaker("ÉLODIE: Bonjour."), (Some("ÉLODIE"), "Bonjour."));
    }
}
