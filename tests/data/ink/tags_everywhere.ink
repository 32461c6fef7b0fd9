# scene: opening
# palette: dawn
# x-note: global tags come first
The harbour at first light. # shot: 4.5
Gulls wheeled overhead. # intensity: 0.2 # palette: day
Nothing else moved.
-> harbour

=== harbour ===
# scene: harbour-01
# cast: captain=ada
The captain waited on the quay. # shot: 12
She was not alone # x-glue: before
<> and she was not pleased. # intensity: 0.7
Her mate stood behind her <>
, arms folded. # cast: mate=bo # x-glue: after
* [Go aboard # stakes: high]
  -> boarding
* Wait on the quay # stakes: low # x-note: patient
  You waited. # shot: 0.5
  -> boarding
* [Walk away] # fate: captain=alive
  You walked away without a word.
  -> ending_walk

=== boarding ===
# scene: deck
The deck rolled under your feet. # palette: storm # intensity: 1
Thunder, far off. #shot:30
#x-standalone
A tag above this line.
* [Hold on # x-a] # x-b
  You held on.
* {harbour} Let go # fate: captain=dead
- The storm broke. # palette: night
-> ending_sea

=== ending_walk ===
# ending: walked_away
The town swallowed you. # palette: noir
-> END

=== ending_sea ===
# ending: lost-at-sea_2
The sea kept its secrets. # palette: ice # shot: 120 # x-last: yes
-> END
