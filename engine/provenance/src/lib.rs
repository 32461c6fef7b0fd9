//! Where Showrunner's exports came from, said so that machines can read it.
//!
//! - [`Provenance`]: what made a picture (the engine's rendering, the refiner, a language
//!   model's words), as IPTC's `DigitalSourceType` in an XMP packet every exported PNG carries.
//! - [`credentials`] (feature `sign`): C2PA content credentials, signed with the user's own
//!   certificate and key into stills, contact sheets and soundtracks, and read back and checked.
//!   Rust-native crypto, no HTTP client: nothing here touches the network.

#[cfg(feature = "sign")]
pub mod credentials;

/// What made an exported picture or sound, in IPTC's Digital Source Type vocabulary (EU AI Act
/// Art. 50(2): machine-readable marking of synthetic media). The engine renders everything; a
/// trained model may have reworked the pixels (`refined`) or written the words on screen
/// (`written`, an episode a language model wrote for an extension point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Provenance {
    /// The refiner (a trained diffusion model) reworked the pixels.
    pub refined: bool,
    /// A language model wrote the words it shows (a generated episode).
    pub written: bool,
}

/// IPTC's vocabulary, as C2PA and XMP spell it.
const IPTC: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/";

impl Provenance {
    /// Rendered by the engine; no trained model involved.
    pub const RENDERED: Self = Self {
        refined: false,
        written: false,
    };
    /// Rendered by the engine, then reworked by the refiner.
    pub const REFINED: Self = Self {
        refined: true,
        written: false,
    };

    /// Whether a trained model contributed to it.
    pub fn trained(self) -> bool {
        self.refined || self.written
    }

    /// The IPTC term's URI: `algorithmicMedia` (made by an algorithm, no trained model) or
    /// `compositeWithTrainedAlgorithmicMedia` (a trained model's work is part of it).
    pub fn digital_source_type(self) -> String {
        let term = if self.trained() {
            "compositeWithTrainedAlgorithmicMedia"
        } else {
            "algorithmicMedia"
        };
        format!("{IPTC}{term}")
    }

    /// The XMP packet that says so, with the generator and its version.
    pub fn xmp(self) -> String {
        const PACKET: &str = r#"<?xpacket begin="BOM" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    Iptc4xmpExt:DigitalSourceType="SOURCE"
    xmp:CreatorTool="showrunner VERSION"/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>"#;
        PACKET
            .replace("BOM", "\u{feff}")
            .replace("SOURCE", &self.digital_source_type())
            .replace("VERSION", env!("CARGO_PKG_VERSION"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trained_models_part_makes_it_a_composite() {
        assert!(Provenance::RENDERED
            .digital_source_type()
            .ends_with("/algorithmicMedia"));
        for p in [
            Provenance::REFINED,
            Provenance {
                refined: false,
                written: true,
            },
        ] {
            assert!(p
                .digital_source_type()
                .ends_with("/compositeWithTrainedAlgorithmicMedia"));
        }
        let xmp = Provenance::REFINED.xmp();
        assert!(
            xmp.contains("compositeWithTrainedAlgorithmicMedia") && xmp.contains("showrunner ")
        );
    }
}
