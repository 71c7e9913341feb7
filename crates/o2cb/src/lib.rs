//! The o2cb tools' commands: the `o2cb` tool and the init logic (`o2cb.init`). The binaries are
//! thin wrappers that hand `argv` and the real stdout/stderr to [`tool::run`].

pub mod init;
pub mod json;
pub mod tool;

/// The runtime's context, under the name the commands of this crate use.
pub(crate) use o2cb_runtime::context;
