// Divert targets in variables, knot parameters and read counts, after "Writing with ink"
// (Knots with parameters; Variable diverts; Read counts): written for Showrunner's corpus.
VAR next = -> quay
VAR times = 0

-> visit(next, 1)

=== visit(-> place, n)
Visit {n}.
~ times = n
-> place

=== quay ===
The quay{quay > 1: again}. You have been here {quay} time{quay != 1:s}.
* {quay < 3} [Walk the quay again]
    -> visit(-> quay, times + 1)
* [Climb to the lamp]
    ~ next = -> lamp
    -> visit(next, times + 1)
* -> lamp

=== lamp ===
= stair
The stair, turn {TURNS_SINCE(-> quay)}.
{stair == 1:First time on the stair.}
* [Up] -> top
* [Back down] -> quay
= top
The lamp room. Seen the quay {quay} times; this is {top} visit{top > 1:s}.
{CHOICE_COUNT()} choices now.
-> END
