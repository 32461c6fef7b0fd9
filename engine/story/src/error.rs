//! The story layer's errors. Each names the file and, where known, the line or knot.

/// Anything that can go wrong loading, checking or playing a story.
#[derive(Debug, thiserror::Error)]
pub enum StoryError {
    /// The file could not be read.
    #[error("{path}: cannot read story: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The ink source does not compile.
    #[error("{file}:{line}: error: {message}")]
    Compile {
        /// The file (an INCLUDEd file where the error is in one).
        file: String,
        /// 1-based line, 0 when the compiler did not say.
        line: usize,
        /// The compiler's message.
        message: String,
    },
    /// The compiled JSON is not a story bladeink can load.
    #[error("{path}: not a compiled ink story: {message}")]
    Json {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A tag met at run time is not a valid directive.
    #[error("{path}: in knot `{knot}`: {source}")]
    BadTag {
        /// The story file.
        path: String,
        /// The knot being played.
        knot: String,
        /// What is wrong with the tag.
        source: showrunner_core::DirectiveError,
    },
    /// The ink runtime failed.
    #[error("{path}: in knot `{knot}`: ink runtime error: {message}")]
    Runtime {
        /// The story file.
        path: String,
        /// The knot being played.
        knot: String,
        /// bladeink's message.
        message: String,
    },
    /// A saved ink state could not be restored.
    #[error("{path}: saved story state is unusable: {message}")]
    State {
        /// The save file.
        path: String,
        /// Why.
        message: String,
    },
}
