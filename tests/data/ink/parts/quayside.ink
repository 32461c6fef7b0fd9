// Included by includes_and_strings.ink (not a corpus story of its own).
=== quayside ===
The quayside{|, again|, once more}.
+ [Fish]
    You fish{& for a while| a little longer}.
    -> quayside
* [Leave]
    -> END
