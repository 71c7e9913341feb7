//! A model of the per-filesystem configfs layout's rules, for tests only. No released kernel
//! has this layout (docs/per-filesystem.md, "Kernel layouts"); these are the rules our writer
//! is built against, modelled on o2nm/o2hb's (docs/ocfs2-tools-reference.md §5.3):
//!
//! - `cluster/ocfs2/<UUID>`: the name must be 32 upper-case hex digits (EINVAL); exists →
//!   EEXIST; rmdir with members → ENOTEMPTY.
//! - `<UUID>/<node>`: name ≤ 64 bytes (ENAMETOOLONG); rmdir of an active member → EBUSY.
//! - `ipv4_port` 1..65534 (0 → EINVAL, larger → ERANGE), `ipv4_address` a dotted quad,
//!   unique within the filesystem (EEXIST); both set once (EBUSY).
//! - `slot` needs address and port (EINVAL); 0..254 (ERANGE); unique within the filesystem
//!   (EEXIST); set once (EBUSY).
//! - `local` needs the slot (EINVAL); one local member per filesystem (EBUSY).
//! - `heartbeat/{block_bytes,start_block,blocks}` only on the local member (EPERM), with
//!   o2hb's ranges; `heartbeat/dev` needs all three (EINVAL) and a known block device.
//! - `active` needs `local` and a started heartbeat (EINVAL); 0 or 1.
#![allow(dead_code)]

use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

use configfs::ConfigfsIo;
use nix::errno::Errno;

fn err(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub port: Option<u32>,
    pub addr: Option<Ipv4Addr>,
    pub slot: Option<u32>,
    pub local: bool,
    pub active: bool,
    pub hb: [Option<u64>; 3],
    pub dev: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fs {
    pub uuid: String,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PerFsModel {
    pub filesystems: Vec<Fs>,
    pub block_devices: Vec<(String, String)>,
    pub log: Vec<String>,
}

fn num(v: &[u8]) -> Option<u64> {
    std::str::from_utf8(v)
        .ok()?
        .trim_end_matches('\n')
        .parse()
        .ok()
}

impl PerFsModel {
    pub fn fs(&self, uuid: &str) -> Option<&Fs> {
        self.filesystems.iter().find(|f| f.uuid == uuid)
    }

    fn fs_mut(&mut self, uuid: &str) -> io::Result<&mut Fs> {
        self.filesystems
            .iter_mut()
            .find(|f| f.uuid == uuid)
            .ok_or_else(|| err(Errno::ENOENT))
    }

    pub fn snapshot(&self) -> PerFsModel {
        let mut s = PerFsModel {
            log: Vec::new(),
            ..self.clone()
        };
        for f in &mut s.filesystems {
            f.members.sort_by(|a, b| a.name.cmp(&b.name));
        }
        s
    }

    fn parts(path: &Path) -> Vec<String> {
        path.iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }
}

impl ConfigfsIo for PerFsModel {
    fn mkdir(&mut self, path: &Path) -> io::Result<()> {
        self.log.push(format!("mkdir {}", path.display()));
        let p = Self::parts(path);
        match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["cluster", "ocfs2", uuid] => {
                if uuid.len() != 32
                    || !uuid
                        .bytes()
                        .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
                {
                    return Err(err(Errno::EINVAL));
                }
                if self.fs(uuid).is_some() {
                    return Err(err(Errno::EEXIST));
                }
                self.filesystems.push(Fs {
                    uuid: uuid.to_string(),
                    members: Vec::new(),
                });
                Ok(())
            }
            ["cluster", "ocfs2", uuid, node] => {
                let fs = self.fs_mut(uuid)?;
                if node.len() > 64 {
                    return Err(err(Errno::ENAMETOOLONG));
                }
                if fs.members.iter().any(|m| m.name == *node) {
                    return Err(err(Errno::EEXIST));
                }
                fs.members.push(Member {
                    name: node.to_string(),
                    ..Member::default()
                });
                Ok(())
            }
            _ => Err(err(Errno::EPERM)),
        }
    }

    fn rmdir(&mut self, path: &Path) -> io::Result<()> {
        self.log.push(format!("rmdir {}", path.display()));
        let p = Self::parts(path);
        match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["cluster", "ocfs2", uuid] => {
                if !self
                    .fs(uuid)
                    .ok_or_else(|| err(Errno::ENOENT))?
                    .members
                    .is_empty()
                {
                    return Err(err(Errno::ENOTEMPTY));
                }
                self.filesystems.retain(|f| f.uuid != *uuid);
                Ok(())
            }
            ["cluster", "ocfs2", uuid, node] => {
                let fs = self.fs_mut(uuid)?;
                let i = fs
                    .members
                    .iter()
                    .position(|m| m.name == *node)
                    .ok_or_else(|| err(Errno::ENOENT))?;
                if fs.members[i].active {
                    return Err(err(Errno::EBUSY));
                }
                fs.members.remove(i);
                Ok(())
            }
            _ => Err(err(Errno::EPERM)),
        }
    }

    fn write(&mut self, path: &Path, value: &[u8]) -> io::Result<()> {
        self.log.push(format!(
            "write {}={}",
            path.display(),
            String::from_utf8_lossy(value)
        ));
        let p = Self::parts(path);
        let (uuid, node, attr, hb) =
            match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["cluster", "ocfs2", u, n, a] => {
                    (u.to_string(), n.to_string(), a.to_string(), false)
                }
                ["cluster", "ocfs2", u, n, "heartbeat", a] => {
                    (u.to_string(), n.to_string(), a.to_string(), true)
                }
                _ => return Err(err(Errno::ENOENT)),
            };
        let fs = self.fs_mut(&uuid)?;
        let i = fs
            .members
            .iter()
            .position(|m| m.name == node)
            .ok_or_else(|| err(Errno::ENOENT))?;
        let others: Vec<Member> = fs
            .members
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, m)| m.clone())
            .collect();
        let m = &mut fs.members[i];
        if hb {
            if !m.local {
                return Err(err(Errno::EPERM));
            }
            if m.dev.is_some() {
                return Err(err(Errno::EINVAL));
            }
            let v = num(value).ok_or_else(|| err(Errno::EINVAL))?;
            match attr.as_str() {
                "block_bytes" if !v.is_power_of_two() => return Err(err(Errno::EINVAL)),
                "block_bytes" if !(512..=4096).contains(&v) => return Err(err(Errno::ERANGE)),
                "block_bytes" => m.hb[0] = Some(v),
                "start_block" => m.hb[1] = Some(v),
                "blocks" if v == 0 || v > 255 => return Err(err(Errno::ERANGE)),
                "blocks" => m.hb[2] = Some(v),
                _ => return Err(err(Errno::EACCES)),
            }
            return Ok(());
        }
        match attr.as_str() {
            "ipv4_port" => {
                let v = num(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v == 0 {
                    return Err(err(Errno::EINVAL));
                }
                if v >= 65535 {
                    return Err(err(Errno::ERANGE));
                }
                if m.port.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                m.port = Some(v as u32);
            }
            "ipv4_address" => {
                let ip: Ipv4Addr = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.trim_end_matches('\n').parse().ok())
                    .ok_or_else(|| err(Errno::EINVAL))?;
                if others.iter().any(|o| o.addr == Some(ip)) || m.addr == Some(ip) {
                    return Err(err(Errno::EEXIST));
                }
                if m.addr.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                m.addr = Some(ip);
            }
            "slot" => {
                if m.addr.is_none() || m.port.is_none() {
                    return Err(err(Errno::EINVAL));
                }
                let v = num(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v > 254 {
                    return Err(err(Errno::ERANGE));
                }
                if others.iter().any(|o| o.slot == Some(v as u32)) {
                    return Err(err(Errno::EEXIST));
                }
                if m.slot.is_some() {
                    return Err(err(Errno::EBUSY));
                }
                m.slot = Some(v as u32);
            }
            "local" => {
                if m.slot.is_none() {
                    return Err(err(Errno::EINVAL));
                }
                let v = num(value).ok_or_else(|| err(Errno::EINVAL))? != 0;
                if v && others.iter().any(|o| o.local) {
                    return Err(err(Errno::EBUSY));
                }
                m.local = v;
            }
            "active" => {
                let v = num(value).ok_or_else(|| err(Errno::EINVAL))?;
                if v > 1 {
                    return Err(err(Errno::EINVAL));
                }
                if v == 1 && (!m.local || m.dev.is_none()) {
                    return Err(err(Errno::EINVAL));
                }
                m.active = v == 1;
            }
            _ => return Err(err(Errno::EACCES)),
        }
        Ok(())
    }

    fn write_device_fd(&mut self, path: &Path, device: &Path) -> io::Result<()> {
        self.log.push(format!(
            "write {}=<fd of {}>",
            path.display(),
            device.display()
        ));
        let p = Self::parts(path);
        let parts: Vec<&str> = p.iter().map(String::as_str).collect();
        let ["cluster", "ocfs2", uuid, node, "heartbeat", "dev"] = parts.as_slice() else {
            return Err(err(Errno::EINVAL));
        };
        let (uuid, node) = (uuid.to_string(), node.to_string());
        let devices = self.block_devices.clone();
        let m = self
            .fs_mut(&uuid)?
            .members
            .iter_mut()
            .find(|m| m.name == node)
            .ok_or_else(|| err(Errno::ENOENT))?;
        if !m.local || m.hb.iter().any(Option::is_none) || m.dev.is_some() {
            return Err(err(Errno::EINVAL));
        }
        let (_, kname) = devices
            .iter()
            .find(|(p, _)| Path::new(p) == device)
            .ok_or_else(|| err(Errno::EINVAL))?;
        m.dev = Some(kname.clone());
        Ok(())
    }

    fn read(&mut self, path: &Path) -> io::Result<String> {
        let p = Self::parts(path);
        let parts: Vec<&str> = p.iter().map(String::as_str).collect();
        let ["cluster", "ocfs2", uuid, node, attr] = parts.as_slice() else {
            return Err(err(Errno::ENOENT));
        };
        let m = self
            .fs(uuid)
            .and_then(|f| f.members.iter().find(|m| m.name == *node))
            .ok_or_else(|| err(Errno::ENOENT))?;
        Ok(match *attr {
            "ipv4_port" => m.port.unwrap_or(0).to_string(),
            "ipv4_address" => m.addr.unwrap_or(Ipv4Addr::UNSPECIFIED).to_string(),
            "slot" => m.slot.unwrap_or(0).to_string(),
            "local" => u8::from(m.local).to_string(),
            "active" => u8::from(m.active).to_string(),
            _ => return Err(err(Errno::ENOENT)),
        })
    }

    fn list_dirs(&mut self, path: &Path) -> io::Result<Vec<String>> {
        let p = Self::parts(path);
        let mut names: Vec<String> =
            match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["cluster", "ocfs2"] => self.filesystems.iter().map(|f| f.uuid.clone()).collect(),
                ["cluster", "ocfs2", uuid] => self
                    .fs(uuid)
                    .ok_or_else(|| err(Errno::ENOENT))?
                    .members
                    .iter()
                    .map(|m| m.name.clone())
                    .collect(),
                _ => return Err(err(Errno::ENOENT)),
            };
        names.reverse();
        Ok(names)
    }

    fn exists(&mut self, path: &Path) -> bool {
        let p = Self::parts(path);
        match p.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["cluster", "ocfs2"] => true,
            ["cluster", "ocfs2", uuid] => self.fs(uuid).is_some(),
            ["cluster", "ocfs2", uuid, node] => self
                .fs(uuid)
                .is_some_and(|f| f.members.iter().any(|m| m.name == *node)),
            ["cluster", "ocfs2", uuid, node, attr] => {
                matches!(
                    *attr,
                    "ipv4_address" | "ipv4_port" | "slot" | "local" | "active"
                ) && self
                    .fs(uuid)
                    .is_some_and(|f| f.members.iter().any(|m| m.name == *node))
            }
            _ => false,
        }
    }
}
