pub(crate) use crate::inline::*;
