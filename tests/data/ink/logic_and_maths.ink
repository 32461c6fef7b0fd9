// Logic, maths and text functions, after "Writing with ink" (Variables and Logic;
// Functions): written for Showrunner's corpus.
CONST STORM = 7
VAR gold = 10
VAR name = "Ailsa"
VAR rowed = 0.5

Start with {gold} gold.
~ gold = gold * 3 - STORM
~ temp ratio = gold / 4
// (`FLOAT(4)`, not `4.0`: inkjs writes a whole float literal into its JSON as an integer)
~ temp exact = gold / FLOAT(4)
Now {gold}: {ratio} a share, {exact} exactly, {gold % 4} left over.
{FLOOR(exact)}, {CEILING(exact)}, {INT(rowed * 10)}, {FLOAT(3) / 2}.
{POW(2, 5)} and {MIN(gold, STORM)} and {MAX(gold, STORM)}.
{name == "Ailsa":Yes.|No.}
{gold > 20 and name != "":Rich and named.|Poor or nameless.}
{not (gold < 0) || false:Never in debt.}
~ name = name + " of the Rock"
Call her {name}.
{factorial(5)} is five factorial.
{describe(gold)}
* [Spend it all]
    ~ gold = 0
* [Keep it]
    ~ gold += 1
- {gold == 0:Nothing left.|{gold} kept.}
-> END

=== function factorial(n)
{ n <= 1:
    ~ return 1
- else:
    ~ return n * factorial(n - 1)
}

=== function describe(amount)
{
- amount > 100: A fortune.
- amount > 10: A purse.
- else: A few coins.
}
