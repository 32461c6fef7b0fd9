// Reference parameters, tunnels with parameters, and list ranges, after "Writing with ink"
// (Functions: ref parameters; Tunnels: parameters; Lists: LIST_RANGE and multi-list values):
// written for Showrunner's corpus.
LIST weather = calm, (breeze), gale, storm
LIST hour = dawn, noon, (dusk), night
VAR fuel = 5
VAR log = ""

Fuel {fuel}, {weather} at {hour}.
~ burn(fuel, 2)
Fuel left: {fuel}.
-> trip(3) ->
-> trip(1) ->
Back, fuel {fuel}. {log}
{LIST_RANGE(LIST_ALL(weather), breeze, storm)} could still come.
~ weather = (gale, storm)
{weather has storm and weather hasnt calm:Storm, not calm.}
{LIST_COUNT(weather)} kinds of bad weather; worst: {LIST_MAX(weather)}.
* [Wait for dawn]
    ~ hour = dawn
* [Sail at night]
    ~ hour = night
- It is {hour}{hour == night: and dark}.
-> END

=== function burn(ref tank, amount)
~ tank = tank - amount
~ log = log + "Burned {amount}. "

=== trip(miles)
A trip of {miles} mile{miles > 1:s}.
~ burn(fuel, miles)
->->
