// Tunnels (-> t ->, chained tunnels, ->->), functions with parameters
// and return values, recursion, ref parameters, functions printing text.
VAR hp = 3

Morning on the road.
-> weather -> camp ->
The day wore on. Health: {hp}.
* [Rest]
  -> rest -> 
  You felt better: {describe(hp)}.
* [March on]
  ~ wound(hp, 2)
  You pressed on, {describe(hp)}.
- Fact: {fact(5)}. Max: {max(hp, 4)}. {shout("done")}
~ announce("evening")
-> finale

=== weather ===
A cold wind blew from the hills.
->->

=== camp ===
= pitch
You pitched the tent.
->->

=== rest ===
~ hp = hp + 2
You slept.
-> weather ->
->->

=== finale ===
{hp > 3:
  You arrived strong.
- else:
  You arrived, barely.
}
-> END

=== function describe(x) ===
{
  - x >= 5: ~ return "strong"
  - x >= 2: ~ return "steady"
  - else: ~ return "weak"
}

=== function wound(ref target, amount) ===
~ target = target - amount

=== function fact(n) ===
{ n <= 1:
  ~ return 1
}
~ return n * fact(n - 1)

=== function max(a, b) ===
~ return (a > b) * a + (a <= b) * b
=== function shout(word) ===
~ return "[" + word + "!]"
=== function announce(what) ===
Now it was {what}.
