// Sticky choices (+), once-only choices (*), conditional choices,
// fallback choices (* ->), choices that run out, labelled choices.
VAR coins = 2
VAR asked = 0

-> shop

=== shop ===
The shopkeeper waits. Coins: {coins}.
+ {coins > 0} [Buy an apple]
  ~ coins--
  You bought an apple.
  -> shop
* (ask) [Ask about the road]
  ~ asked++
  "North, then east."
  -> shop
* {ask} [Ask again]
  "I already told you."
  -> shop
* {coins > 0} [Leave while you still have money]
  -> street
* -> broke

=== broke ===
You are broke and the shopkeeper shoos you out.
-> street

=== street ===
The street. {asked > 0:You know the way.|You have no idea where to go.}
* {shop.ask} [Go north]
  -> north
* [Wander]
  You wandered.
  -> wander
* ->
  With nowhere left to go, you went home.
  -> END

=== north ===
North, then east, as promised.
-> END

=== wander ===
* [Left] Nothing there.
  -> wander
* [Right] Nothing there either.
  -> wander
* -> 
  You gave up and went back.
  -> street
