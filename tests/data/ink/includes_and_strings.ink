// INCLUDE, string tests and nested conditional text, after "Writing with ink" (Includes;
// Strings): written for Showrunner's corpus. Seeded RANDOM is left out: bladeink and inkjs
// draw different numbers from the same SEED_RANDOM (their generators differ), so a story
// that needs the same roll everywhere cannot use it.
INCLUDE parts/quayside.ink
VAR roll = 0
VAR word = "tide"
~ roll = 2 + 2 * 2 - 4
You roll a {roll}: {roll >= 4:high|low}.
{word == "tide":The tide turns.}
{word ? "id":There is an "id" in it.|No "id" in it.}
{word != "wind" and roll > 0:Not the wind{roll == 6:, and a six}.}
~ word = word + "s"
The {word} {roll % 2 == 0:rise|fall}.
-> quayside
