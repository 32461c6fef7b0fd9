// THE KEEPER'S LIGHT
// Bundled sample story for Showrunner.
// A storm night on Carrow Rock. The viewer is the new keeper; Mara is the old one.
// Act 1 (dusk): arrival and handover.  Act 2 (storm): the call, the broken clockwork, the choice.
// Act 3 (dawn / ember / ice): the morning after, depending on who went down to the slip.
// Interludes (interlude_*) are never diverted to: the director plays them in a side flow.
// Knots tagged `extend:` are where the story may grow: with `--generate`, an episode written
// for the premise plays just before the knot (docs/story-format.md, "Extension points").

VAR arousal = 0.0
VAR boredom = 0.0
VAR attention = 1.0
VAR signal_quality = 0.0
VAR mercy = false

VAR knows_iain = false
VAR wound_it = false
VAR told_to_run = true
VAR you_went_down = false

THE KEEPER'S LIGHT # scene: title_card # palette: dusk # stakes: low # intensity: 0.1 # shot: 8 # cast: keeper=mara # cast: newcomer=viewer # cast: skipper=tomas # cast: deckhand=calum # cast: boatman=shiel # cast: radio=coastguard
-> landing

// =====================================================================
// ACT ONE — DUSK
// =====================================================================

=== landing ===
Carrow Rock. Eleven miles of open Atlantic from anywhere. # scene: landing # palette: dusk # stakes: low # intensity: 0.2 # shot: 14 # sfx: gull
The supply boat noses against the slip. The sea breathes in and out beneath it. # shot: 7.5
Above the rocks, the tower. White, once. Salt has turned it the colour of old teeth. # shot: 8
SHIEL: This is you, then.
SHIEL: Glass is falling. I'll not be back till it stops.
SHIEL: Tell Mara the Board sends its regards. She'll know what to do with them.
The boat backs away, already small. You are alone with your bag and the sound of the water. # shot: 9
At the top of the steps, a figure in an oilskin. She has been watching for some time. # shot: 9
MARA: You'll be the new one.
MARA: You're thinner than the last one they sent. He lasted a fortnight.
* [Offer your hand # stakes: low # intensity: 0.2]
    You hold out your hand. # shot: 3
    She looks at it the way she'd look at a fish she never ordered. # shot: 7.5
    Then she takes it. Her grip is a rope knot. # shot: 5.5
    MARA: Cold hands. Good. You'll not feel the brass burn.
* [Give her the letter from the Board # stakes: low # intensity: 0.3]
    You hand her the envelope. The Board's crest, already spotted with rain. # shot: 6.5
    She reads it standing up. Then she folds it into a very small square. # shot: 7.5
    MARA: Automation. In the spring.
    MARA: They want a machine that doesn't sleep. I haven't slept since nineteen eighty-seven.
* [Say nothing. Look up at the tower # stakes: low # intensity: 0.2]
    You tilt your head back. The tower keeps going up. # shot: 5.5
    At the top, behind the glass, something huge and patient is waiting for dark. # shot: 7.5
    MARA: Aye. That's the one you work for.
    MARA: Not me. Not the Board. Her.
- MARA: Bring your bag. The light goes on at sunset, and sunset doesn't wait for introductions.
-> the_climb

=== the_climb ===
The stair coils up the inside of the tower like the inside of a shell. # scene: stairwell # stakes: low # intensity: 0.2 # shot: 7.5
One hundred and fourteen steps. Mara counts them under her breath without knowing she does it. # shot: 8
MARA: A weight hangs down the middle of the tower. It falls all night, and that turns the lens.
MARA: Wind it every forty minutes. Miss one and she stops. A light that doesn't turn is a lie.
MARA: Every light on this coast has its own count. Ours is two white, every fifteen.
MARA: A skipper sees a steady light, he thinks it's a ship. Steers for it. And the Teeth have him.
She stops on the step above you, breathing hard. She pretends to examine the paint. # shot: 7.5
* [Ask her why she's leaving # stakes: low # intensity: 0.3]
    You ask her why she's going, if the light means that much. # shot: 6.5
    MARA: I'm not going. I'm being gone.
    MARA: Forty-one years. They sent a letter with a pension in it and a picture of a bungalow.
    MARA: A bungalow. In Ballycastle. With a view of the sea.
    She laughs, once. It goes down the stair and doesn't come back up. # shot: 7
* [Ask about the book under her arm # stakes: low # intensity: 0.3]
    Under her arm, a ledger bound in green cloth, swollen with damp. # shot: 6.5
    MARA: The log. Every night since eighteen sixty-one. Wind, weather, windings, vessels sighted.
    MARA: You write in it every hour. In ink. Pencil is for people who expect to be forgiven.
    She holds it a moment longer than she needs to, then tucks it back under her arm. # shot: 8.5
- The last turn of the stair. A hatch. Light through it the colour of weak tea. # shot: 8
-> lamp_room

=== lamp_room ===
The lantern. A glass room at the top of the world. # scene: lamp_room # stakes: low # intensity: 0.3 # shot: 10
In the centre, the lens: a beehive of glass prisms taller than a man, floating in a bath of mercury. # shot: 9.5
The last of the sun goes through it and breaks into a hundred small suns on the walls. # view: by_the_glass # shot: 9
MARA: First order Fresnel. Built in Paris. Six tonnes, and you can turn her with one finger.
She shows you. One finger against the brass frame, and the whole mountain of glass moves. # shot: 8
MARA: That's the mercury. Everything heavy floats, if you give it the right thing to lie on.
{boredom > 0.6:
    A gull slams into the storm glass. Feathers, and gone. # shot: 4.5 # intensity: 0.6
    You flinch. Mara does not. # shot: 3
    MARA: They come for the light. They think it's the moon, close enough to touch.
}
{attention < 0.4:
    MARA: Look at me, not the sea. The sea will still be there tomorrow.
}
She strikes a match. The mantle catches with a soft cough, then a hiss, then white. # shot: 8 # intensity: 0.4
MARA: Now the clockwork. Sunset is sunset. Not a minute after.
* [Take the handle and wind it yourself # stakes: low # intensity: 0.4]
    ~ wound_it = true
    Forty turns. Your shoulder burns by twenty. Mara counts them for you, out loud. # shot: 7.5
    MARA: Not bad. Iain used to do it in thirty.
    She says the name the way you'd press a bruise to see if it still hurts. # shot: 8
* [Watch her wind it # stakes: low # intensity: 0.3]
    Forty turns. She doesn't count aloud. Her lips count for her. # shot: 6.5
    At thirty she stops, breathing hard. Then she does ten more, out of spite. # shot: 7.5
    MARA: Iain used to do it in thirty. Showing off.
- She releases the brake. # shot: 3
The lens begins to turn. Slowly, then steadily, the speed of a held breath. # shot: 7.5 # intensity: 0.5
The beam swings out over the water. One. Then, a heartbeat later, two. # shot: 7
Then fifteen seconds of dark. # shot: 15
MARA: Two white, every fifteen. That's us. That's Carrow.
-> the_kitchen

=== the_kitchen ===
The kitchen is round, like every room here. Nothing to hide in a corner. # scene: kitchen # stakes: low # intensity: 0.3 # shot: 7.5 # extend: on the way down from the lamp, the tower shows the new keeper something Mara has not mentioned # extend_cast: mara # extend_scene: stairwell, kitchen
Mara cuts bread against her chest, towards herself, the way nobody is taught anymore. # shot: 7.5
On the wall, a barometer. She taps it. The needle drops, as if it had been waiting to be asked. # shot: 9.5
MARA: Nine-seventy. And falling.
Above the range, one photograph in a tin frame. A man in a keeper's cap, squinting, laughing at whoever held the camera. # view: by_the_range # shot: 10.5
* [Ask about the man in the photograph # stakes: low # intensity: 0.4]
    ~ knows_iain = true
    MARA: Iain. My husband. Keeper here before me.
    MARA: November, eighty-seven. A coaster lost her steering off the Teeth. He went down to the slip with the lamp.
    MARA: She came in. He didn't.
    She butters the bread. Edge to edge, carefully, as if the bread were the point. # shot: 7.5
    MARA: I wrote it in the log. Light kept. Vessel safe. Keeper lost. Then I wound the clockwork, because it was time.
* [Ask how bad the storm will be # stakes: low # intensity: 0.4]
    MARA: Bad enough to be interesting. Not bad enough to be famous.
    MARA: The tower's stood through worse. It's the things around the tower you worry about.
    MARA: Boats. Fools in boats.
    She glances at the photograph over the range, then away, like someone touching wood. # shot: 7.5
- The radio crackles. A voice, buried under static. # shot: 5 # intensity: 0.5
TOMAS (RADIO): Carrow Rock, Carrow Rock, this is fishing vessel Kittiwake. Do you read. Over.
Mara puts the knife down. # shot: 3.5
-> the_call

// =====================================================================
// ACT TWO — STORM
// =====================================================================

=== the_call ===
The first real gust hits the tower. The whole kitchen hums like a struck bell. # scene: radio_room # palette: storm # stakes: high # intensity: 0.6 # shot: 12 # sfx: wind
Mara takes the handset. Her voice changes. Slower, deeper, a voice built for bad lines. # shot: 7.5
MARA: Kittiwake, Carrow. I hear you. Go ahead.
TOMAS (RADIO): Mara? Thank God. It's Tomas Reid.
TOMAS (RADIO): Engine's gone. We're on the auxiliary and it's coughing. Taking water forward.
TOMAS (RADIO): I've the boy with me. Calum. His first winter out.
TOMAS (RADIO): Four miles west of you. Coastguard says the lifeboat can't launch till it eases.
TOMAS (RADIO): I'm thinking I run for the Gut. Tie up on your slip till morning.
The Gut. The one gap in the Teeth, a narrow throat of black water leading to the landing. # shot: 9
MARA: In this? You'd be threading it blind.
TOMAS (RADIO): I'll not be blind. I'll have your light.
Mara looks at you. For the first time tonight, she is asking. # shot: 6.5 # intensity: 0.6
* [Tell him to run for the Gut # stakes: high # intensity: 0.7]
    ~ told_to_run = true
    You take the handset. Your own voice sounds very young. # shot: 5.5
    You tell him the light will be turning. You tell him someone will be on the slip. # shot: 8.5
    TOMAS (RADIO): God bless you, whoever you are. Kittiwake out.
    MARA: You've made a promise to a man you've never met. That's the job. Now we keep it.
* [Tell him to stand off and wait for the lifeboat # stakes: high # intensity: 0.7]
    ~ told_to_run = false
    You take the handset. You tell him to stand off, keep her head to the sea, and wait. # shot: 9
    TOMAS (RADIO): She'll not last till morning. The pump's packing in.
    TOMAS (RADIO): I'm coming in. Keep the light for me, Carrow. Kittiwake out.
    MARA: He was always coming. You can't talk a Reid off a course.
    MARA: But you tried. Mind that you tried, later.
- Mara is already pulling on her oilskin. # shot: 4.5 # intensity: 0.6
-> the_gallery

=== the_gallery ===
The lamp room at full dark. Rain hits the glass in sheets, thrown rather than falling. # scene: gallery # stakes: high # intensity: 0.6 # shot: 8.5 # sfx: thunder # extend: the storm tests the lantern before anyone goes out onto the gallery # extend_cast: mara # extend_scene: lamp_room, gallery # extend_palette: storm
MARA: Salt on the glass. It halves the beam. We go out and wipe it.
The gallery door opens, and the night comes in like a shove. # shot: 6.5 # intensity: 0.7
Outside, a narrow iron balcony, a rail, and nothing else between you and the whole Atlantic. # shot: 8
The wind is a solid thing. You lean on it. It holds you up, lets go, holds you up again. # shot: 9.5
{arousal > 0.75:
    Mara's hand finds your harness clip and checks it. Then checks it again. # shot: 7 # intensity: 0.4
    MARA: Breathe. Slow. Two white, every fifteen. Breathe with her.
    You breathe with the light. In on the flash. Out on the dark. # shot: 8.5 # intensity: 0.3
- else:
    A sheet of spray comes up the tower, a hundred and twenty feet, and slaps you across the face. # shot: 9.5 # intensity: 0.7
    Mara laughs. Actually laughs, with salt water running off her nose. # shot: 6
}
You work along the glass with the chamois, pane by pane. Your fingers stop being fingers. # shot: 8
Far out to the west, between two walls of water, a light. Red. Then gone. Then red again. # shot: 9 # intensity: 0.7
MARA: That's him. Port light. He's coming round for the Gut.
Deep in the tower, something goes off like a gunshot. Then a long iron rattle, falling, falling. # shot: 8.5 # intensity: 0.9
Through the glass, the lens slows. # shot: 4 # intensity: 0.9
And stops. # shot: 4 # intensity: 1.0
-> the_weight

=== the_weight ===
The beam points, unmoving, at the empty north. A fixed white light. A lie. # scene: lamp_room_dark # stakes: high # intensity: 0.9 # shot: 7.5
Mara is already inside, at the clockwork, both hands on the drum. # shot: 6.5
MARA: Cable's parted. The weight's gone down the tube. There's no mending that tonight.
MARA: She'll have to be turned by hand. Two white every fifteen, all night if need be.
MARA: And someone on the slip with the lamp, to bring him through the Gut and take his line.
She takes the storm lantern off its hook and lights it with the same steady match. # shot: 8
MARA: I know the steps in the dark. You don't.
{knows_iain:
    You think of the man in the tin frame. Squinting, laughing. Going down to the slip with a lamp. # shot: 9.5 # intensity: 0.9
- else:
    In the lantern light she looks like a woman on her way to meet someone. # shot: 7.5 # intensity: 0.9
}
Out in the dark, the red light lifts, and falls, and comes on. # shot: 7
* [Let her go. Put your shoulder to the lens # stakes: high # intensity: 0.9]
    -> turning
* [Take the lantern from her. You go down # stakes: high # intensity: 0.9 # fate: mara=alive]
    -> the_steps
* [Bar the hatch. Nobody goes down tonight # stakes: high # intensity: 0.8]
    -> the_hatch

=== turning ===
She goes. The hatch bangs shut. Her lantern swings down the stair, and down, and is gone. # scene: lamp_room_dark # stakes: high # intensity: 0.8 # shot: 8.5 # sfx: hatch@mara
You put your palms flat on the brass frame and push. # shot: 6
The beam swings off the north. Across the black. Over the Teeth. One. # shot: 7
Then the second flash. Two. # shot: 4
Then you count. One thousand. Two thousand. Three thousand. # shot: 15 # intensity: 0.7
Fifteen seconds is a long time when you are pushing a mountain. # shot: 6.5
Your arms learn the rhythm before you do. Push, walk, push. Two white, every fifteen. # shot: 8.5
Below, on the rock, a small yellow light moves along the path to the slip. Mara. # shot: 8
Out in the dark, the red light. Closer. Then the green beside it. He has turned his bow to you. # shot: 9.5 # intensity: 0.8
He's seen the count. He's coming in. # shot: 4.5
The Gut opens below like a throat, white water on both sides. The little yellow light stands at the bottom of it. # shot: 10.5
Then you see it. Behind the Kittiwake, rising out of the dark. A wave bigger than the others. # shot: 9 # intensity: 0.95
It has no white on it. The big ones never do. # shot: 6
* [Keep turning. Trust her # stakes: high # intensity: 1.0]
    You keep turning. It is the hardest thing your body has ever done. # shot: 7
    -> the_wave
* [Let the lens stop. Run to her # stakes: high # intensity: 1.0 # fate: mara=alive]
    -> running

=== the_wave ===
The wave comes into the Gut. # scene: the_gut # stakes: high # intensity: 1.0 # shot: 4 # sfx: wave
It lifts the Kittiwake like a toy and throws her forward, through the throat, onto the slip. # shot: 8.5
For a moment the whole landing is white. # shot: 5
The little yellow light is gone. # shot: 5.5
One. Two. You push. Fifteen seconds of dark. # shot: 15
{mercy: -> mara_holds | -> mara_falls}

=== mara_holds ===
The beam comes round. And there, on the slip: the lantern. Lit. Held high. # scene: the_gut # stakes: high # intensity: 0.8 # shot: 7.5 # fate: mara=alive
She has one arm through the iron ring set in the rock, the way Iain must have taught her. # shot: 9.5
The sea pulls at her, and pulls, and she does not let go. # shot: 7
Two figures climb from the wreck of the Kittiwake's bow, onto the concrete, into her light. # shot: 8 # fate: tomas=alive # fate: calum=alive
You keep turning. You keep turning. You don't stop until the sky goes grey. # shot: 10
-> dawn_after

=== mara_falls ===
The beam comes round. The slip. White water, nothing else. # scene: the_gut # stakes: high # intensity: 1.0 # shot: 6.5
The beam comes round again. Two figures crawling up the concrete out of the sea. A man. A boy. # shot: 9.5 # fate: tomas=alive # fate: calum=alive
The beam comes round again. There is no lantern. # shot: 7 # fate: mara=dead
You keep turning. It's what she would have done. It's what she did. # shot: 7
You keep turning until the sky goes grey. # shot: 10
-> ember_after

=== running ===
You let go of the lens. It drifts, slows, and stops, pointing at nothing. # scene: stairwell # stakes: high # intensity: 1.0 # shot: 7.5
~ you_went_down = true
One hundred and fourteen steps. You take them in the dark, three at a time, hand on the rail. # shot: 9.5
The path. The slip. Mara ahead of you, lantern raised. The wave behind the boat, standing up. # shot: 8.5 # intensity: 1.0
You reach her as it breaks. # shot: 4
You get one arm round her and the other through the iron ring in the rock. # shot: 8
Then the sea is on you both, and there is nothing in the world but holding on. # shot: 8.5
It draws back. She is still there. You are still there. # shot: 6 # fate: mara=alive
Out in the Gut, with no count to steer by, the Kittiwake has missed the throat. # shot: 8
A sound like a house being torn down. The Teeth. # shot: 5.5 # intensity: 1.0
MARA: The boy. There. In the water.
A pale shape in the surge, face up, arms out. She gives you the lantern and takes the rope. # shot: 9.5
She throws. She has thrown this rope for forty years. It lands across him. # shot: 7.5
You pull together. He comes out of the sea like something being born. # shot: 7 # fate: calum=alive
Calum. Fifteen. Shaking so hard his teeth chatter like the clockwork. # shot: 6
CALUM: Dad. Where's my dad.
Mara holds the lantern up to the Gut for a long time. Nothing comes into its light. # shot: 10 # fate: tomas=dead
-> ice_after

=== the_steps ===
You take the lantern out of her hand. She lets you, which frightens you more than the storm. # scene: lamp_room_dark # stakes: high # intensity: 0.9 # shot: 9
~ you_went_down = true
MARA: Ring in the rock, left side of the slip. Your arm through it, not your hand. Hands let go.
MARA: And don't be a hero. Heroes are what I write in the log afterwards.
She puts her shoulder to the lens. The beam swings, and there: one. Two. # shot: 7.5 # fate: mara=alive
She'll be here when you come back. That's the bargain. # shot: 5.5
One hundred and fourteen steps down. At the bottom, the night takes the breath out of your mouth. # shot: 9
The path to the slip is a ledge of wet rock with the sea on one side and the sea on the other. # shot: 11 # intensity: 0.8
Above you, the beam. One. Two. Fifteen seconds of dark. She is counting for you now. # shot: 8.5
At the slip you find the ring. Iron, thick as a wrist, green with weed. You put your arm through it. # shot: 10
Out in the Gut, red light and green. The Kittiwake, bow on, climbing the sea and falling off it. # shot: 9.5 # intensity: 0.9
You raise the lantern and swing it, slowly, side to side. Nobody told you to. You just know. # shot: 9
He sees it. The boat straightens. Into the throat. # shot: 5.5
Then the wave. Behind her. Standing up out of the dark with no white on it. # shot: 8 # intensity: 1.0
It throws the Kittiwake through the Gut like a bottle. She comes down on the slip with a sound like the end of the world. # shot: 11.5
A man crawls out of the wheelhouse. The boy is not with him. # shot: 7
TOMAS: Calum! Calum!
There. In the backwash. A pale face, going out with the water. # shot: 6.5 # intensity: 1.0
* [Keep your arm through the ring. Throw the line # stakes: high # intensity: 0.9]
    You throw. It falls short. You haul in wet rope and throw again. # shot: 7.5
    It lands across him. He grabs it, because every child who grew up by the sea knows to grab it. # shot: 9.5
    You pull. Tomas is beside you, pulling too, sobbing, pulling. # shot: 5.5
* [Let go of the ring. Go in after him # stakes: high # intensity: 1.0]
    You let go of the ring. # shot: 4
    The cold is not cold. It is a fist closing on your whole body. # shot: 7.5
    You find him by his jacket. Then the sea finds you both, and pulls. # shot: 7.5
    Something holds. The rope. Tomas on the other end of it, braced against the ring, roaring. # shot: 8
- Calum coughs up half the Atlantic onto the concrete. Then he cries, which is better. # shot: 7.5 # fate: calum=alive # fate: tomas=alive
Above you, the light. One. Two. It has not missed a count. # shot: 8.5
-> dawn_after

=== the_hatch ===
You put yourself between her and the hatch. # scene: lamp_room_dark # stakes: high # intensity: 0.8 # shot: 5
MARA: Get out of my way.
You tell her no. Nobody goes down those steps tonight. # shot: 5.5
MARA: Move.
{knows_iain: You think of the photograph over the range. You don't move. | You don't move.} # shot: 7.5
For a long moment she looks at you. Then she sets the lantern on the floor, carefully, the way you'd put down a sleeping child. # shot: 11.5
MARA: Then we turn her together. And God help Tomas Reid.
Two of you at the brass frame. You push. Six tonnes of glass begin to move. # shot: 8
The beam swings out. One. Two. Fifteen seconds of dark. # shot: 8.5
Out in the storm, red light, green light. He's seen the count. He's turning in. # shot: 7.5 # intensity: 0.8
But the slip below is black. No lantern. No mark. Only the Gut, and the white on either side of it. # shot: 10
MARA: He's too far west. He can't see the slip. He can't see it.
She lets go of the lens and goes to the glass, both hands flat on it, as if she could push the boat. # shot: 11 # intensity: 0.9
Then she turns for the hatch. # shot: 4
You catch her arm. She is so light. All the weight of her is in the way she pulls. # shot: 9.5 # intensity: 1.0
MARA: Let me go. I can still make it. Let me go.
* [Let go of her arm # stakes: high # intensity: 1.0 # fate: mara=dead]
    -> letting_go
* [Hold on # stakes: high # intensity: 1.0 # fate: mara=alive]
    -> holding_on

=== letting_go ===
You open your hand. # scene: lamp_room_dark # stakes: high # intensity: 1.0 # shot: 3.5
She is through the hatch before your fingers finish opening. # shot: 5.5
You turn the lens alone. One. Two. Fifteen seconds. # shot: 8.5
Below, a yellow spark races down the path to the slip. Faster than a woman of seventy-one has any right to go. # shot: 10.5
It stops at the slip. It rises. It swings, side to side, side to side. # shot: 7.5
Out in the storm the Kittiwake sees it. Her bow comes round. Into the throat. # shot: 7.5 # intensity: 0.9
Then the wave. Standing up out of the dark behind her, with no white on it. # shot: 8 # intensity: 1.0
It throws the boat through the Gut and onto the slip. # shot: 6
The beam comes round. White water over everything. # shot: 5.5
The beam comes round. Two figures crawling up the concrete. A man. A boy. # shot: 7.5 # fate: tomas=alive # fate: calum=alive
The beam comes round. The lantern lies on its side on the slip, still lit. No one is holding it. # shot: 9.5 # fate: mara=dead
You keep turning. You keep turning until the sky goes grey. # shot: 10
-> ember_after

=== holding_on ===
You don't let go. # scene: lamp_room_dark # stakes: high # intensity: 1.0 # shot: 3.5
She fights you. She hits you twice in the chest, with a fist like a knot of rope. # shot: 9
Then she stops. All of her stops. She stands with her forehead against the storm glass. # shot: 8 # fate: mara=alive
Out in the dark, the Kittiwake comes on, and on, a little too far west. # shot: 7.5
Then the wave. You both see it. Neither of you says a word. # shot: 7 # intensity: 1.0
It takes the Kittiwake onto the Teeth. # shot: 5
The sound comes up through the stone of the tower and into your feet. # shot: 7.5
Mara turns back to the lens and puts her shoulder to it. One. Two. # shot: 7.5
MARA: Keep the count. If there's anyone in the water, they'll need to know where the land is.
You turn the lens together until your arms are dead and the sky goes grey. # shot: 10
-> ice_after

// =====================================================================
// ACT THREE — DAWN (Mara lives, the Kittiwake is saved)
// =====================================================================

=== dawn_after ===
Morning. The storm has blown itself east and left the sea exhausted. # scene: dawn_slip # palette: dawn # stakes: low # intensity: 0.3 # shot: 14
The Kittiwake lies on her side at the top of the slip, like a dog asleep in a doorway. # shot: 9.5
Tomas Reid sits on an upturned fish box, in a blanket stencilled CARROW ROCK LIGHT. # shot: 7.5
{you_went_down:
    Your arm is purple from shoulder to wrist where the ring held it. # shot: 7
    Mara looks at it, and at you, and says nothing. Then she makes you tea with four sugars in it. # shot: 9.5
- else:
    Mara's arm is purple from shoulder to wrist where the ring held her. She won't let you look at it. # shot: 9.5
    MARA: You kept the count. All night. I watched it over my shoulder the whole time.
}
TOMAS: I owe you. The both of you. I don't know what the going rate is for that.
MARA: There isn't one. You'll bring us fish, when you've a boat again.
{told_to_run:
    TOMAS: You told me to come in. I'd have come anyway. But I was glad someone said it.
- else:
    TOMAS: You told me to stand off. You were right, mind. I'm just lucky as well as stupid.
}
-> the_log

=== the_log ===
The lamp room in daylight. Curtains drawn round the lens, so the sun can't set the place on fire. # scene: lamp_room_day # stakes: low # intensity: 0.3 # shot: 9.5
Mara opens the log on the desk and holds out the pen. # view: at_the_desk # shot: 6.5
MARA: Your watch. Your entry.
You write the wind, the weather, the parted cable. Vessel in distress, Kittiwake. Two souls. # shot: 7.5
MARA: Light kept. Vessel safe. That's all it needs to say. It's all it ever needs to say.
She reads it over your shoulder. She doesn't correct a word. # shot: 6
Down at the slip, an engine. Shiel, come back for her, with the sea still heaving. # shot: 8
Her bag is by the hatch. It has been by the hatch for a week. # shot: 7.5
* [Carry her bag down to the boat # stakes: low # intensity: 0.5]
    -> morning_light
* [Ask her to stay the winter # stakes: low # intensity: 0.6]
    -> two_keepers

=== morning_light ===
You carry her bag down the hundred and fourteen steps. She lets you. # scene: dawn_slip # stakes: low # intensity: 0.5 # shot: 7
At the slip she stops by the iron ring. She puts her hand on it, the way you'd touch a horse. # view: down_the_slip # shot: 10
MARA: Mind you oil the clockwork. Mind you write it in ink.
MARA: And come down here sometimes, in daylight, and look at it. So it's only a ring.
She gets into Shiel's boat without taking his hand. # shot: 5.5
She doesn't look back at the tower. She looks at you instead, all the way out, until she's too small to see. # shot: 11 # intensity: 0.6
At dusk you climb the stair alone. One hundred and fourteen steps. You count them without knowing you do it. # shot: 9.5
You strike the match. # shot: 3.5
Two white, every fifteen. # shot: 15 # intensity: 0.4 # ending: morning_light
-> END

=== two_keepers ===
You ask her to stay. Just the winter. Until the spring, and the machine. # scene: lamp_room_day # stakes: low # intensity: 0.6 # shot: 7.5
MARA: And what would the Board say?
You tell her the Board can write you a letter. # shot: 5.5
She looks at the bag by the hatch for a long time. # shot: 6.5
MARA: That splice'll need watching. You'd make a mess of it on your own.
She carries the bag back down to her room. She never says another word about it. # shot: 8
Down at the slip, Shiel waits an hour. Then he goes home. # shot: 6.5
At dusk, two of you climb the stair. One hundred and fourteen steps. She counts them out loud, for you. # shot: 9.5
One match. One lamp. Two keepers. # shot: 5
Two white, every fifteen. # shot: 15 # intensity: 0.4 # ending: two_keepers
-> END

// =====================================================================
// ACT THREE — EMBER (Mara is lost, the Kittiwake is saved)
// =====================================================================

=== ember_after ===
Grey light. Then, low in the east, a line of red under the cloud, like a coal under ash. # scene: ember_slip # palette: ember # stakes: high # intensity: 0.5 # shot: 14
You let go of the lens. Your hands keep the shape of the brass for an hour. # shot: 8.5
At the slip, the Kittiwake lies on her side, like something the sea got bored of. # shot: 8
Tomas is there with the boy, the two of them wrapped in one tarpaulin. # shot: 7.5
Her lantern lies on its side on the concrete. The glass unbroken. The wick burned dry. # shot: 9
TOMAS: She got us to the ring. She put Calum's hand on it. Then she went back for me.
TOMAS: The sea came in between. That's all. That's all it was.
CALUM: She said to tell the new keeper. Two white, every fifteen. She said you'd know.
The lifeboat comes at noon. They search the Gut until the light goes. # shot: 7
They don't find her. The sea keeps what it takes here. It kept Iain. # shot: 7.5
Before they leave, the lifeboat men splice the cable. Nobody asks them to. # shot: 7
-> ember_log

=== ember_log ===
The lamp room. Dusk again. You have not slept. # scene: lamp_room_ember # stakes: high # intensity: 0.6 # shot: 7
The log lies open on the desk where she left it. Her last entry, in her square black hand. # view: at_the_desk # shot: 9.5
Barometer 970, falling. Vessel reported in distress. New keeper shaping well. # shot: 8.5
{wound_it:
    Under it, smaller, an afterthought: Winds it in forty. Will do it in thirty by spring. # shot: 8
- else:
    Under it, smaller, an afterthought: Watched me wind. Learns by looking. That's the way. # shot: 7.5
}
You pick up the pen. # shot: 4
* [Write the entry the way she would # stakes: high # intensity: 0.7]
    -> the_last_keeper
* [Close the log and radio the Board # stakes: high # intensity: 0.6]
    -> the_empty_rock

=== the_last_keeper ===
You write: Light kept. Vessel safe. Keeper lost. # scene: lamp_room_ember # stakes: high # intensity: 0.7 # shot: 7
In ink. Not pencil. # shot: 4
Then you look at the clock, and it's time. # shot: 5.5
Winding handle. Forty turns. You count them out loud, for her. # shot: 7
You strike the match. The mantle coughs, and hisses, and goes white. # shot: 6.5
Far out on the sea, a trawler's lights, going home. # shot: 7
Two white, every fifteen. # shot: 15 # intensity: 0.5 # ending: the_last_keeper
-> END

=== the_empty_rock ===
You close the log. # scene: lamp_room_ember # stakes: high # intensity: 0.6 # shot: 3.5
On the radio, a woman from the Board says she is very sorry, in the voice of someone paid to be. # shot: 10
They'll bring the automation forward. Before Christmas. A machine that doesn't sleep. # shot: 6.5
Next morning, Shiel's boat. You carry one bag down to the slip. The other one, hers, you leave by the hatch. # shot: 10
That evening you stand on the harbour wall at Ballycastle, outside a bungalow with a view of the sea. # shot: 9.5
Eleven miles out, at sunset, exactly at sunset, the light comes on. # shot: 7
Nobody is on the rock tonight. You know that. The Board knows that. # shot: 7
Two white, every fifteen. # shot: 15 # intensity: 0.6 # ending: the_empty_rock
-> END

// =====================================================================
// ACT THREE — ICE (Mara lives, the Kittiwake is lost)
// =====================================================================

=== ice_after ===
Dawn comes the colour of a knife. # scene: ice_slip # palette: ice # stakes: high # intensity: 0.5 # shot: 12
The sea is flat and grey and innocent, as if nothing had happened on it. # shot: 7.5
On the Teeth, the Kittiwake's wheelhouse stands on its side, like a gravestone someone dropped. # shot: 7.5
{you_went_down:
    Calum sleeps in the kitchen, in Mara's chair, under every blanket in the tower. # shot: 7.5
    He wakes every twenty minutes and asks. Every twenty minutes, Mara tells him. # shot: 7
    The lifeboat comes at noon. They search the Gut until the light goes. They don't find Tomas Reid. # shot: 9
- else:
    At seven the lifeboat comes round the point, low in the water, slow. # shot: 7
    COASTGUARD (RADIO): Carrow, this is the lifeboat. One survivor from the water. A boy. He was holding onto the Teeth.
    COASTGUARD (RADIO): No sign of the skipper. We'll keep looking. Over.
    Mara holds the handset for a long while after the voice has stopped. # shot: 7 # fate: calum=alive # fate: tomas=dead
}
-> ice_log

=== ice_log ===
The lamp room. Mara has spliced the cable with fence wire. It will hold till spring. # scene: lamp_room_ice # stakes: high # intensity: 0.5 # shot: 7
Mara sits at the desk with the log open and the pen in her hand, and doesn't write. # shot: 9
{you_went_down: MARA: Light failed. Vessel lost. One soul saved. | MARA: Light kept. Vessel lost. One soul saved.}
MARA: Forty-one years, and I never once had to write that.
{you_went_down:
    MARA: You left the lens. You let the light stop, to come for me.
    MARA: I'd have told you not to. And I'm glad you did. Both of those. Write them both down.
- else:
    MARA: You held on to me. Nobody held on to Iain.
    MARA: Maybe I'd be in the sea. Maybe Tomas would be in his bed. Maybe both of us in the sea.
}
{told_to_run:
    MARA: And you told him to come in. Don't. Don't carry that one. He was coming anyway.
- else:
    MARA: You told him to stand off. Mind that. You tried.
}
* [Tell her it was your choice, not hers # stakes: high # intensity: 0.7]
    You tell her the choice was yours. Whatever it cost, it's yours to carry. # shot: 7.5
    MARA: That's a keeper talking. God help you.
    She hands you the pen. # shot: 3.5
    You write it, all of it, in ink. # shot: 5.5
* [Say nothing. Sit with her # stakes: low # intensity: 0.5]
    You sit on the floor by the desk, your back to the brass drum. # shot: 7.5
    For a long time neither of you speaks. The clockwork ticks. The weight falls, slowly, as it should. # shot: 9
    Then she writes. You watch the pen move. You don't read it. # shot: 6.5
- At dusk the clockwork is wound, and the match is struck. # shot: 6 # intensity: 0.5
{you_went_down:
    Calum stands in the doorway in borrowed clothes, watching. Mara beckons him in. # shot: 8
    She shows him. One finger against the brass frame, and the whole mountain of glass moves. # shot: 8
- else:
    Mara steps back from the lens and nods at you. # shot: 5
    One finger against the brass frame, and the whole mountain of glass moves. # shot: 8
}
Two white, every fifteen. # shot: 15 # intensity: 0.5 # ending: dark_water
-> END

// =====================================================================
// INTERLUDES — never diverted to. The director plays one in a side flow
// when the viewer drifts, then the main story resumes where it was.
// =====================================================================

=== interlude_rogue_wave ===
A sound like a train coming up the side of the tower. # scene: rogue_wave # stakes: high # intensity: 0.9 # shot: 6.5
The wave climbs the rock, climbs the wall, and hits the lantern glass a hundred and twenty feet above the sea. # shot: 10
Everything goes green. Light inside the glass. Glass inside the water. # shot: 8
The whole tower shudders, once, like a horse shaking off a fly. # shot: 7
Water sheets down the panes. Then it is gone, back to the sea it came from. # shot: 8
Somewhere below, a cup falls off a shelf and doesn't break. # shot: 6
-> DONE

=== interlude_flare ===
Far out, low on the horizon, a red star climbs where no star should be. # scene: distant_flare # stakes: high # intensity: 0.7 # shot: 8
A distress flare. It hangs, burning, under its small parachute. # shot: 7
You count. Eight seconds. Nine. Then it drops into the sea and goes out. # shot: 9
No second flare. No call on the radio. Nothing on the water but the water. # shot: 8
You write the bearing on the back of your hand, because there is nothing else to write it on. # shot: 9
North-northwest. Too far for anything but hoping. # shot: 7
-> DONE

=== interlude_power_failure ===
Every bulb in the tower dies at once. # scene: blackout # stakes: high # intensity: 0.8 # shot: 5
The dark is total. The wind, suddenly, is much louder. # shot: 7
Your hand finds the wall. Cold stone, sweating salt. # shot: 6
Then the generator below coughs, and coughs, and catches. # shot: 7
The bulbs come back, yellow and unsure, one floor at a time, like people waking. # shot: 8
You realise you have been holding your breath. You let it go. # shot: 7
-> DONE
