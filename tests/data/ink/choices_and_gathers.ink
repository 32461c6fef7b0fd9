// Choices (plain, bracketed, mixed), nested choices and gathers,
// labelled gathers and a loop back to a label.
The rain had not stopped for three days.
"Where to?" asked the driver.

* "The station."
  "Right you are."
* "The docks[."]," I said, and regretted it at once.
  He glanced at me in the mirror.
  * * [Meet his eyes]
      I held his gaze until he looked away.
  * * [Look out of the window]
      The city slid past, grey on grey.
  - - He said nothing more.
* [Say nothing]
  I said nothing. He drove anyway.
- The car pulled away from the kerb.

- (radio) The radio crackled.
* [Turn it up]
  Music, old and thin.
  -> radio
* [Turn it off]
  Silence.
* [Leave it]
  It hissed quietly to itself.
- We drove on.

* First
* Second
* Third
- -> arrival

=== arrival ===
The car stopped.
* [Pay]
  I paid him and got out.
* [Run]
  I ran.
  * * [Look back]
      He was already gone.
  * * [Keep running]
      I did not stop until the river.
- The end of the ride.
-> END
