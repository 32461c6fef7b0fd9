// Glue (<>) at line end, line start and inside diverts; leading and
// trailing whitespace; collapsed inner spaces and tabs; escaped
// characters; choice text keeps its inner spaces.
Glue at the end <>
of a line.
Glue at the start
<> of the next.
Glue     across a    knot: <>
-> middle

=== middle ===
<> the knot continued the line.
    Indented text keeps no leading spaces.
Trailing spaces vanish.   
Tabs	inside	a line	become single spaces.
Inner   runs   of   spaces   collapse.
Escapes: \{braces\}, \[brackets\], a \# hash, a back\\slash.
A line with // a comment removed.
Start {"with a"} string expression.
{true:<>Conditional glue}<>
<> joined.
A line{""}with{"  "}empty bits.
* [Choose] You chose <>
  -> tail
* Text   with   spaces   [hidden]  after.
  -> tail

=== tail ===
the tail.
-> ending

=== ending ===
Last line with trailing glue <>
-> END
