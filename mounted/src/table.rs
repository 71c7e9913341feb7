//! The two tables, byte for byte as the reference prints them
//! (docs/ocfs2-tools-reference.md §7.3, §7.4): fields left-justified and padded with
//! spaces, two spaces between fields, the device column as wide as the longest device shown
//! (at least 7), the cluster column likewise.

/// The columns every row has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// The device as given or found (bytes: a path need not be UTF-8).
    pub device: Vec<u8>,
    /// `o2cb`, `pcmk`, ... or `None` for a local volume.
    pub stack: Vec<u8>,
    /// The cluster name, empty for classic volumes.
    pub cluster: Vec<u8>,
    /// The `G` flag: o2cb global heartbeat.
    pub global_heartbeat: bool,
}

/// The last column of a full-detect row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nodes {
    HeartbeatDevice,
    NotMounted,
    /// The nodes in the slot map, in slot order.
    Mounted(Vec<MountedNode>),
    /// The slot map could not be read: the reference prints this on stderr.
    Unknown(String),
}

/// A node in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountedNode {
    pub slot: u16,
    pub number: u32,
    /// Its name in the running cluster, when known.
    pub name: Option<Vec<u8>>,
}

impl MountedNode {
    /// How the table shows it: the name, else the number, `Unknown` for a number no
    /// cluster can have.
    pub fn label(&self) -> Vec<u8> {
        match &self.name {
            Some(name) => name.clone(),
            None if self.number >= crate::MAX_NODES => b"Unknown".to_vec(),
            None => self.number.to_string().into_bytes(),
        }
    }
}

/// A quick-detect row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickRow {
    pub columns: Columns,
    pub uuid: String,
    pub label: Vec<u8>,
}

/// A full-detect row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullRow {
    pub columns: Columns,
    /// Not in the table; `--json` shows them.
    pub uuid: String,
    pub label: Vec<u8>,
    pub nodes: Nodes,
}

/// The smallest width of the device and cluster columns (the header words fit).
const MIN_WIDTH: usize = 7;
const UUID_WIDTH: usize = 32;

fn pad(out: &mut Vec<u8>, field: &[u8], width: usize) {
    out.extend_from_slice(field);
    out.resize(out.len() + width.saturating_sub(field.len()), b' ');
}

fn widths<'a>(rows: impl Iterator<Item = &'a Columns> + Clone) -> (usize, usize) {
    let device = rows.clone().map(|c| c.device.len()).max().unwrap_or(0);
    let cluster = rows.map(|c| c.cluster.len()).max().unwrap_or(0);
    (device.max(MIN_WIDTH), cluster.max(MIN_WIDTH))
}

/// `<device>  <stack>  <cluster>  <flag>  `: everything before the last column.
fn prefix(out: &mut Vec<u8>, c: &Columns, w_device: usize, w_cluster: usize) {
    pad(out, &c.device, w_device);
    out.extend_from_slice(b"  ");
    pad(out, &c.stack, 5);
    out.extend_from_slice(b"  ");
    pad(out, &c.cluster, w_cluster);
    out.extend_from_slice(if c.global_heartbeat {
        b"  G  "
    } else {
        b"     "
    });
}

fn header(out: &mut Vec<u8>, w_device: usize, w_cluster: usize, last: &[u8]) {
    let words = Columns {
        device: b"Device".to_vec(),
        stack: b"Stack".to_vec(),
        cluster: b"Cluster".to_vec(),
        global_heartbeat: false,
    };
    pad(out, &words.device, w_device);
    out.extend_from_slice(b"  ");
    pad(out, &words.stack, 5);
    out.extend_from_slice(b"  ");
    pad(out, &words.cluster, w_cluster);
    out.extend_from_slice(b"  F  ");
    out.extend_from_slice(last);
    out.push(b'\n');
}

/// The `-d` table.
pub fn quick(rows: &[QuickRow]) -> Vec<u8> {
    let (wd, wc) = widths(rows.iter().map(|r| &r.columns));
    let mut out = Vec::new();
    let mut last = Vec::new();
    pad(&mut last, b"UUID", UUID_WIDTH);
    last.extend_from_slice(b"  Label");
    header(&mut out, wd, wc, &last);
    for r in rows {
        prefix(&mut out, &r.columns, wd, wc);
        pad(&mut out, r.uuid.as_bytes(), UUID_WIDTH);
        out.extend_from_slice(b"  ");
        out.extend_from_slice(&r.label);
        out.push(b'\n');
    }
    out
}

/// What `-f` writes, in order, to stdout and stderr: a slot map that cannot be read puts
/// `Unknown: <error>` and the row's newline on stderr, after the row's start on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    Out(Vec<u8>),
    Err(Vec<u8>),
}

/// The `-f` table.
pub fn full(rows: &[FullRow]) -> Vec<Chunk> {
    let (wd, wc) = widths(rows.iter().map(|r| &r.columns));
    let mut out = Vec::new();
    header(&mut out, wd, wc, b"Nodes");
    let mut chunks = Vec::new();
    for r in rows {
        prefix(&mut out, &r.columns, wd, wc);
        match &r.nodes {
            Nodes::HeartbeatDevice => out.extend_from_slice(b"Heartbeat device\n"),
            Nodes::NotMounted => out.extend_from_slice(b"Not mounted\n"),
            Nodes::Mounted(nodes) => {
                let labels: Vec<Vec<u8>> = nodes.iter().map(MountedNode::label).collect();
                out.extend_from_slice(&labels.join(&b", "[..]));
                out.push(b'\n');
            }
            Nodes::Unknown(error) => {
                chunks.push(Chunk::Out(std::mem::take(&mut out)));
                chunks.push(Chunk::Err(format!("Unknown: {error}  \n").into_bytes()));
            }
        }
    }
    if !out.is_empty() {
        chunks.push(Chunk::Out(out));
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(device: &str, stack: &str, cluster: &str, g: bool) -> Columns {
        Columns {
            device: device.into(),
            stack: stack.into(),
            cluster: cluster.into(),
            global_heartbeat: g,
        }
    }

    /// The composed example of docs/ocfs2-tools-reference.md §7.3.
    #[test]
    fn the_references_composed_example() {
        let row = |d, s, c, g, u: &str, l: &str| QuickRow {
            columns: cols(d, s, c, g),
            uuid: u.into(),
            label: l.into(),
        };
        let text = quick(&[
            row(
                "/dev/sdb1",
                "o2cb",
                "prod",
                true,
                "3F1A0C5D2B6E4F718293A4B5C6D7E8F9",
                "hbvol1",
            ),
            row(
                "/dev/sdc1",
                "o2cb",
                "",
                false,
                "11111111222233334444555566667777",
                "data",
            ),
            row(
                "/dev/mapper/mpath3",
                "None",
                "",
                false,
                "0A0B0C0D0E0F10111213141516171819",
                "scratch",
            ),
            row(
                "/dev/vdb",
                "pcmk",
                "hacl",
                false,
                "ABCDEF0123456789ABCDEF0123456789",
                "shared",
            ),
        ]);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "Device              Stack  Cluster  F  UUID                              Label
/dev/sdb1           o2cb   prod     G  3F1A0C5D2B6E4F718293A4B5C6D7E8F9  hbvol1
/dev/sdc1           o2cb               11111111222233334444555566667777  data
/dev/mapper/mpath3  None               0A0B0C0D0E0F10111213141516171819  scratch
/dev/vdb            pcmk   hacl        ABCDEF0123456789ABCDEF0123456789  shared
"
        );
    }

    #[test]
    fn nothing_found_is_a_header_of_width_7() {
        assert_eq!(
            String::from_utf8(quick(&[])).unwrap(),
            "Device   Stack  Cluster  F  UUID                              Label\n"
        );
        assert_eq!(
            full(&[]),
            [Chunk::Out(b"Device   Stack  Cluster  F  Nodes\n".to_vec())]
        );
    }

    #[test]
    fn an_unreadable_slot_map_goes_to_stderr_mid_row() {
        let rows = [
            FullRow {
                columns: cols("/dev/sdb1", "o2cb", "prod", true),
                uuid: String::new(),
                label: Vec::new(),
                nodes: Nodes::Unknown(
                    "Attempt to read block from filesystem resulted in short read".into(),
                ),
            },
            FullRow {
                columns: cols("/dev/sdc1", "o2cb", "prod", false),
                uuid: String::new(),
                label: Vec::new(),
                nodes: Nodes::Mounted(vec![
                    MountedNode {
                        slot: 0,
                        number: 3,
                        name: Some(b"db1".to_vec()),
                    },
                    MountedNode {
                        slot: 1,
                        number: 12,
                        name: None,
                    },
                ]),
            },
        ];
        assert_eq!(
            full(&rows),
            [
                Chunk::Out(
                    b"Device     Stack  Cluster  F  Nodes\n/dev/sdb1  o2cb   prod     G  ".to_vec()
                ),
                Chunk::Err(
                    b"Unknown: Attempt to read block from filesystem resulted in short read  \n"
                        .to_vec()
                ),
                Chunk::Out(b"/dev/sdc1  o2cb   prod        db1, 12\n".to_vec()),
            ]
        );
    }
}
