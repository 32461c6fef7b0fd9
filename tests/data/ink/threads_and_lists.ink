// Threads and lists, after "Writing with ink" (Threads; Lists): written for Showrunner's corpus.
LIST moods = calm, (uneasy), frightened
LIST crew = skipper, mate, boatman
VAR aboard = ()

-> harbour

=== harbour ===
The harbour at dusk. Mood: {moods}.
<- talk_to(skipper)
<- talk_to(mate)
* [Watch the water]
    The water is black and still.
    -> cast_off

=== cast_off ===
~ aboard += skipper
~ moods++
Aboard: {aboard}. {LIST_COUNT(aboard)} aboard. Mood now: {moods}.
{aboard ? skipper:The skipper is with you.}
{aboard !? boatman:The boatman stayed ashore.}
-> crossing

=== talk_to(who) ===
* [Talk to the {who}]
    You talk to the {who}.
    ~ aboard += who
    -> cast_off

=== crossing ===
~ temp all = LIST_ALL(crew)
Everyone who could come: {all}. Missing: {all - aboard}.
{LIST_MIN(aboard)} leads; {LIST_MAX(all)} last.
~ moods = LIST_INVERT(moods)
Mood inverted: {moods}.
{LIST_VALUE(frightened)} is how frightened one can be.
-> END
