// Sequences (stopping), cycles, once-only lists, multiline sequence
// blocks, and sequences inside a loop. No shuffles: RNG differs between
// implementations.
VAR waits = 0
-> loop

=== loop ===
Visit {loop}: {The bell rang.|The bell rang again.|The bell kept ringing.}
The light was {&red|amber|green}.
{!A crow landed.|A second crow landed.}
{stopping:
  - First verse.
  - Second verse.
  - Last verse, repeated.
}
{cycle:
  - Tick.
  - Tock.
}
{once:
  - A one-time note.
}
{|Empty first element, then this.|And this.}
+ {waits < 3} [Wait longer]
  ~ waits++
  -> loop
* [Leave]
  -> leave
* -> leave

=== leave ===
You left {waits == 0:at once|after {waits} wait{waits > 1:s}}.
{leave > 1:This should never print.}
-> END
