// Identifiers beyond ASCII and list comparisons, after "Writing with ink" (International
// character support in identifiers; Advanced list operations): written for Showrunner's corpus.
LIST étapes = départ, (traversée), arrivée
LIST crew = skipper, mate, boatman, cook
VAR naïve = true
VAR ναύτης = "Nikos"

-> départ_du_port

=== départ_du_port ===
Étape : {étapes}. {naïve:Encore naïf.} Le marin s'appelle {ναύτης}.
~ temp aboard = (skipper, cook)
~ temp ashore = LIST_INVERT(aboard)
Aboard {aboard}; ashore {ashore}.
{aboard ? (skipper, cook):Both aboard.}
{aboard ? (skipper, mate):Never printed.|Not both of skipper and mate.}
{LIST_MIN(ashore) > LIST_MIN(aboard):The first ashore comes after the first aboard.}
{aboard == (cook, skipper):Order does not matter.}
{LIST_VALUE(LIST_MAX(aboard))} is the cook's number.
* [Weiter]
    ~ étapes = arrivée
    Arrivée : {étapes}.
* [Ξανά]
    ~ naïve = false
    {naïve:Still naïve.|No longer naïve.}
- -> END
