//! `-o` mount options as a mount helper must split them: generic options become `MS_*`
//! flags, options for mount(8) alone are dropped, and the rest goes to the file system as
//! its data string.
//!
//! The reference splits with an old copy of mount(8)'s table. Where that table is wrong for
//! today's kernels we follow current mount(8) (docs/compatibility.md): `atime`,
//! `norelatime`, `nostrictatime`, `lazytime`, `silent`, `iversion` and their opposites are
//! flags, not data the ocfs2 driver refuses; `nofail`, `x-*` and `comment=` are dropped like
//! `_netdev`; `owner` and `group` no longer set stray kernel bits.

/// `MS_*` values (`<sys/mount.h>`).
pub mod ms {
    pub const RDONLY: u64 = 1;
    pub const NOSUID: u64 = 2;
    pub const NODEV: u64 = 4;
    pub const NOEXEC: u64 = 8;
    pub const SYNCHRONOUS: u64 = 16;
    pub const REMOUNT: u64 = 32;
    pub const MANDLOCK: u64 = 64;
    pub const DIRSYNC: u64 = 128;
    pub const NOATIME: u64 = 1024;
    pub const NODIRATIME: u64 = 2048;
    pub const BIND: u64 = 4096;
    pub const REC: u64 = 16384;
    pub const SILENT: u64 = 32768;
    pub const RELATIME: u64 = 1 << 21;
    pub const I_VERSION: u64 = 1 << 23;
    pub const STRICTATIME: u64 = 1 << 24;
    pub const LAZYTIME: u64 = 1 << 25;
}

/// What an option name does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    /// Sets these flags.
    Set(u64),
    /// Clears these flags.
    Clear(u64),
    /// Meaningful to mount(8) only: dropped, after setting these flags.
    Drop(u64),
}

/// The generic options, as current mount(8) knows them.
const TABLE: &[(&str, Effect)] = &[
    ("defaults", Effect::Drop(0)),
    ("ro", Effect::Set(ms::RDONLY)),
    ("rw", Effect::Clear(ms::RDONLY)),
    ("nosuid", Effect::Set(ms::NOSUID)),
    ("suid", Effect::Clear(ms::NOSUID)),
    ("nodev", Effect::Set(ms::NODEV)),
    ("dev", Effect::Clear(ms::NODEV)),
    ("noexec", Effect::Set(ms::NOEXEC)),
    ("exec", Effect::Clear(ms::NOEXEC)),
    ("sync", Effect::Set(ms::SYNCHRONOUS)),
    ("async", Effect::Clear(ms::SYNCHRONOUS)),
    ("dirsync", Effect::Set(ms::DIRSYNC)),
    ("remount", Effect::Set(ms::REMOUNT)),
    ("bind", Effect::Set(ms::BIND)),
    ("rbind", Effect::Set(ms::BIND | ms::REC)),
    ("mand", Effect::Set(ms::MANDLOCK)),
    ("nomand", Effect::Clear(ms::MANDLOCK)),
    ("noatime", Effect::Set(ms::NOATIME)),
    ("atime", Effect::Clear(ms::NOATIME)),
    ("nodiratime", Effect::Set(ms::NODIRATIME)),
    ("diratime", Effect::Clear(ms::NODIRATIME)),
    ("relatime", Effect::Set(ms::RELATIME)),
    ("norelatime", Effect::Clear(ms::RELATIME)),
    ("strictatime", Effect::Set(ms::STRICTATIME)),
    ("nostrictatime", Effect::Clear(ms::STRICTATIME)),
    ("lazytime", Effect::Set(ms::LAZYTIME)),
    ("nolazytime", Effect::Clear(ms::LAZYTIME)),
    ("silent", Effect::Set(ms::SILENT)),
    ("loud", Effect::Clear(ms::SILENT)),
    ("iversion", Effect::Set(ms::I_VERSION)),
    ("noiversion", Effect::Clear(ms::I_VERSION)),
    ("auto", Effect::Drop(0)),
    ("noauto", Effect::Drop(0)),
    ("_netdev", Effect::Drop(0)),
    ("nofail", Effect::Drop(0)),
    ("loop", Effect::Drop(0)),
    ("nouser", Effect::Drop(0)),
    ("user", Effect::Drop(ms::NOSUID | ms::NODEV | ms::NOEXEC)),
    ("users", Effect::Drop(ms::NOSUID | ms::NODEV | ms::NOEXEC)),
    ("owner", Effect::Drop(ms::NOSUID | ms::NODEV)),
    ("group", Effect::Drop(ms::NOSUID | ms::NODEV)),
];

/// Options mount(8) writes or reads for itself, with a value or a prefix.
fn is_mount8_only(option: &str) -> bool {
    option.starts_with("x-") || option.starts_with("comment=") || option.starts_with("user=")
}

/// The `-o` string, split.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// `MS_*` flags.
    pub flags: u64,
    /// Options for the file system, in the order given.
    pub data: Vec<String>,
}

impl MountOptions {
    pub fn parse(text: &str) -> MountOptions {
        let mut o = MountOptions::default();
        for option in text.split(',').filter(|s| !s.is_empty()) {
            match TABLE.iter().find(|(name, _)| *name == option) {
                Some((_, Effect::Set(f))) | Some((_, Effect::Drop(f))) => o.flags |= f,
                Some((_, Effect::Clear(f))) => o.flags &= !f,
                None if is_mount8_only(option) => {}
                None => o.data.push(option.to_owned()),
            }
        }
        o
    }

    pub fn has(&self, flag: u64) -> bool {
        self.flags & flag != 0
    }

    /// Whether the file system is asked to mount without the cluster stack.
    pub fn nocluster(&self) -> bool {
        self.data.iter().any(|d| d == "nocluster")
    }

    /// The data string with `extra` appended (the reference appends `heartbeat=` and
    /// `cluster_stack=` after the user's options; the kernel takes the last of a kind).
    pub fn data_with(&self, extra: &[String]) -> String {
        self.data
            .iter()
            .chain(extra)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> (u64, String) {
        let o = MountOptions::parse(text);
        (o.flags, o.data_with(&["heartbeat=none".to_string()]))
    }

    #[test]
    fn flags_and_data_split_as_the_reference_splits_them() {
        // Each row observed with mount.ocfs2 1.8.7 under strace (mount(2) flags and data).
        let none = "heartbeat=none".to_string();
        for (option, flags) in [
            ("rw", 0),
            ("ro", ms::RDONLY),
            ("nosuid", ms::NOSUID),
            ("nodev", ms::NODEV),
            ("noexec", ms::NOEXEC),
            ("sync", ms::SYNCHRONOUS),
            ("dirsync", ms::DIRSYNC),
            ("mand", ms::MANDLOCK),
            ("noatime", ms::NOATIME),
            ("nodiratime", ms::NODIRATIME),
            ("relatime", ms::RELATIME),
            ("strictatime", ms::STRICTATIME),
            ("ro,rw", 0),
            ("noexec,exec", 0),
            ("users", ms::NOSUID | ms::NODEV | ms::NOEXEC),
            ("user,exec", ms::NOSUID | ms::NODEV),
            (
                "defaults,noauto,auto,_netdev,loop,nouser,suid,dev,async,diratime",
                0,
            ),
        ] {
            assert_eq!(split(option), (flags, none.clone()), "{option}");
        }
        assert_eq!(
            split("data=writeback,localflocks"),
            (0, "data=writeback,localflocks,heartbeat=none".into())
        );
        assert_eq!(split("foo,,bar"), (0, "foo,bar,heartbeat=none".into()));
        assert_eq!(split(",x"), (0, "x,heartbeat=none".into()));
        assert_eq!(
            split("ro,heartbeat=none"),
            (ms::RDONLY, "heartbeat=none,heartbeat=none".into())
        );
        assert_eq!(split("nocluster"), (0, "nocluster,heartbeat=none".into()));
        assert!(MountOptions::parse("ro,nocluster").nocluster());
    }

    #[test]
    fn options_the_reference_gets_wrong_follow_current_mount8() {
        // The reference passes these to the kernel as data, which the ocfs2 driver refuses.
        assert_eq!(
            split("atime,norelatime,nostrictatime,nolazytime,loud,noiversion"),
            (0, "heartbeat=none".into())
        );
        assert_eq!(split("lazytime"), (ms::LAZYTIME, "heartbeat=none".into()));
        assert_eq!(split("silent"), (ms::SILENT, "heartbeat=none".into()));
        assert_eq!(split("iversion"), (ms::I_VERSION, "heartbeat=none".into()));
        assert_eq!(split("noatime,atime"), (0, "heartbeat=none".into()));
        // mount(8)'s own options are not for the kernel.
        assert_eq!(
            split("nofail,x-systemd.automount,comment=x"),
            (0, "heartbeat=none".into())
        );
        // The reference sets stray bits (MS_NOSEC, MS_NOREMOTELOCK) for these.
        assert_eq!(
            split("owner"),
            (ms::NOSUID | ms::NODEV, "heartbeat=none".into())
        );
        assert_eq!(
            split("group"),
            (ms::NOSUID | ms::NODEV, "heartbeat=none".into())
        );
    }
}
