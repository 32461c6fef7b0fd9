// Knots with stitches, diverts to stitches, visit counts of knots,
// stitches and labelled gathers/choices, TURNS_SINCE and CHOICE_COUNT.
-> house

=== house ===
You are in the house. (house: {house})
-> hall

= hall
The hall. Hall visits: {hall}. Kitchen visits: {kitchen}.
* [Kitchen] -> kitchen
* [Cellar] -> cellar
* {kitchen > 0} [Leave] -> outside

= kitchen
The kitchen smells of bread. Visits: {kitchen}.
There are {CHOICE_COUNT()} choices so far.
* (ate) [Eat] You ate some bread.
  -> hall
* [Go back] -> hall

= cellar
The cellar is dark.
{ TURNS_SINCE(-> kitchen) == -1:
  You have never been to the kitchen.
- else:
  You were in the kitchen {TURNS_SINCE(-> kitchen)} turns ago.
}
{ kitchen.ate: You are not hungry. }
-> outside

=== outside ===
Outside at last. House seen {house} time(s), hall {house.hall}, kitchen {house.kitchen}.
{ house.cellar:
  - 0: You never saw the cellar.
  - else: You saw the cellar.
}
Turn count: {TURNS()}.
-> END
