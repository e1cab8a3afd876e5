//! Exit codes shared by the subcommands. Apart from [`crate::cli`] so that
//! [`crate::check`], which `cli` calls, need not import its caller.

/// Exit code for a configuration problem.
pub const EXIT_CONFIG: u8 = 2;
