// Global variables, temporaries, arithmetic, if/else blocks,
// switch-style conditionals and inline conditionals.
VAR gold = 10
VAR name = "Mara"
VAR brave = false
CONST PRICE = 7

{name} counted her coins: {gold} gold.
* [Buy the sword]
  ~ gold = gold - PRICE
  ~ brave = true
* [Buy bread]
  ~ gold -= 2
* [Keep the money]
  ~ temp bonus = gold / 2
  ~ gold += bonus
- She had {gold} gold left{gold < 5:, which was not much}.
~ temp tally = gold * 3 + 1
Tally: {tally}. Remainder: {tally mod 4}. Half: {gold / 2}. Real: {(gold + 0.5) / 2}.
{brave:
  The sword hung at her hip.
- else:
  She had no sword.
}
{
  - gold > 10:
    She felt rich.
  - gold >= 8:
    She felt comfortable.
  - else:
    She felt poor.
}
{ gold:
  - 3: Exactly three coins.
  - 8: Exactly eight coins.
  - else: Some other number of coins.
}
She was {brave and gold > 2:bold and solvent|{not brave:timid|bold but broke}}.
* {gold > 5} [Tip the innkeeper]
  ~ gold--
  "Thank you, {name}!"
* [Leave]
- ~ name = name + " the Wanderer"
{name} left with {gold} gold. {gold == 0 || brave:-> brave_end}
Nothing remarkable happened.
-> END

=== brave_end ===
Songs were sung of {name}. {true and not false:Truly.}
-> END
