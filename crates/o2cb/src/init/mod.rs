//! `o2cb.init`: the logic of `/etc/init.d/o2cb` (docs/ocfs2-tools-reference.md §4), with the same
//! actions, the same progress lines (`Loading filesystem "configfs": OK`) in the same order, and
//! exit statuses that tell the truth: a step that failed makes the action exit non-zero (the script
//! exits 0 after a failed registration); `status` follows LSB (0 running, 3 not running);
//! `online-status` keeps its 0/1/2 contract. Deliberate differences are in
//! docs/compatibility.md.
//!
//! Modules are loaded with `modprobe` and filesystems mounted with `mount(2)`; no shell is
//! involved. Cluster registration, timeouts and heartbeat go through the same libraries as
//! the `o2cb` tool.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use configfs::{
    apply, plan_timeouts, read_cluster, read_cluster_summary, read_clusters, ClusterSummary,
    ConfigfsName, NameKind, RealConfigfs, Timeouts,
};
use o2cb_sys::mounts::MountView;
use o2cb_sys::process::Signal;
use o2cb_sys::{dlmfs, modules, mounts, process, stack, SysRoot};

use crate::context::Context;
use crate::tool::{self, CmdResult, Session};

pub use o2cb_runtime::settings::{self, settings_path, O2cbSettings, SettingsFile};

/// Defaults and minimums of the script (reference §4.1).
pub const DEFAULT_HEARTBEAT_THRESHOLD: u32 = 31;
pub const DEFAULT_IDLE_TIMEOUT_MS: u32 = 30000;
pub const DEFAULT_KEEPALIVE_DELAY_MS: u32 = 2000;
pub const DEFAULT_RECONNECT_DELAY_MS: u32 = 2000;
pub const MIN_HEARTBEAT_THRESHOLD: u32 = 7;
pub const MIN_IDLE_TIMEOUT_MS: u32 = 5000;
pub const MIN_KEEPALIVE_DELAY_MS: u32 = 1000;
pub const MIN_RECONNECT_DELAY_MS: u32 = 2000;

/// What an action does with the script's state and the arguments after its name.
type ActionFn = for<'c, 'io> fn(&mut Init<'c, 'io>, &[String]) -> Flow;

/// One action of the script: its name, what it does (for `--help`-like documentation and the
/// man page), its operands, the options it parses, and the code that runs it.
pub struct Action {
    pub name: &'static str,
    pub help: &'static str,
    /// The operands after the action name, as the usage shows them.
    pub operands: &'static str,
    /// The options the action parses (the table its code hands to getopt).
    pub options: Option<&'static dyn getopt::Documented>,
    run: ActionFn,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action").field("name", &self.name).finish()
    }
}

const fn action(
    name: &'static str,
    help: &'static str,
    operands: &'static str,
    run: ActionFn,
) -> Action {
    Action {
        name,
        help,
        operands,
        options: None,
        run,
    }
}

/// The optional cluster name (default: O2CB_BOOTCLUSTER) most actions take.
const CLUSTER: &str = "[cluster]";

/// Every action, in the order the usage line lists them.
pub static ACTIONS: &[Action] = &[
    action(
        "start",
        "If O2CB_ENABLED is true: load the stack, then bring the boot cluster online. Otherwise do nothing.",
        CLUSTER,
        |init, rest| init.start(first(rest)),
    ),
    action(
        "stop",
        "Take the cluster offline, then unload the stack (whatever O2CB_ENABLED says).",
        CLUSTER,
        |init, rest| init.stop(first(rest)),
    ),
    action("restart", "stop, then start.", CLUSTER, restart),
    action("force-reload", "The same as restart.", CLUSTER, restart),
    action(
        "enable",
        "Set O2CB_ENABLED=true in the settings file, then start.",
        "",
        |init, _| init.enable(),
    ),
    action(
        "disable",
        "Set O2CB_ENABLED=false in the settings file, then stop.",
        "",
        |init, _| init.disable(),
    ),
    Action {
        options: Some(&configure::CONFIGURE_OPTIONS),
        ..action(
            "configure",
            "Ask for the settings, or take them from the options below, write the settings file, then start or stop.",
            "",
            configure::configure,
        )
    },
    action(
        "load",
        "Load the kernel modules and mount configfs and dlmfs.",
        "",
        |init, _| init.load(),
    ),
    action(
        "unload",
        "Take the cluster offline, then unmount dlmfs and configfs and unload the modules.",
        CLUSTER,
        |init, rest| init.offline(first(rest), false).and_then(|()| init.unload(false)),
    ),
    action(
        "online",
        "Load the stack, register the cluster and start its global heartbeat, whatever O2CB_ENABLED says.",
        CLUSTER,
        |init, rest| init.load().and_then(|()| init.online(first(rest))),
    ),
    action(
        "offline",
        "Stop global heartbeat and unregister the cluster; refused while processes use dlmfs (they are named).",
        CLUSTER,
        |init, rest| init.offline(first(rest), false),
    ),
    action(
        "force-offline",
        "As offline, but processes using dlmfs are killed first.",
        CLUSTER,
        |init, rest| init.offline(first(rest), true),
    ),
    action(
        "status",
        "Report the state of the stack and the cluster. Exit status 0 when the cluster is online, 3 when not.",
        CLUSTER,
        status,
    ),
    action(
        "online-status",
        "Print online, offline or error; exit status 0, 1 or 2.",
        CLUSTER,
        |init, rest| match init.online_status(first(rest)) {
            0 => Ok(()),
            code => Err(InitExit(code)),
        },
    ),
];

/// The action names as the usage line lists them: `start|stop|...`.
pub fn action_names() -> String {
    ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>().join("|")
}

fn first(rest: &[String]) -> Option<&str> {
    rest.first().map(String::as_str)
}

fn restart(init: &mut Init<'_, '_>, rest: &[String]) -> Flow {
    init.stop(first(rest))
        .and_then(|()| init.start(first(rest)))
}

/// `status [cluster]`, or the state as JSON with `--json` anywhere among the arguments.
fn status(init: &mut Init<'_, '_>, rest: &[String]) -> Flow {
    if rest.iter().any(|a| a == "--json") {
        let cluster = rest.iter().find(|a| *a != "--json").map(String::as_str);
        init.status_json(cluster)
    } else {
        init.status(first(rest))
    }
}

/// How a step of the script ends.
enum Step {
    /// Prints `OK`.
    Done,
    /// Already so: prints nothing.
    Already,
    /// Prints `Failed`, the reason on stderr, and the action exits 1.
    Failed(Option<String>),
}

/// How an action ends when it does not succeed: its LSB exit status. The reason is already
/// on the terminal, where the script's transcript puts it (after the step's `Failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct InitExit(i32);

impl InitExit {
    /// A step failed (LSB: generic or unspecified error).
    const FAILED: InitExit = InitExit(1);
    /// `status`: the cluster is not online (LSB: program is not running).
    const NOT_RUNNING: InitExit = InitExit(3);
}

impl std::fmt::Display for InitExit {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

impl o2cb_runtime::ToolError for InitExit {
    fn code(&self) -> i32 {
        self.0
    }
    fn printed(&self) -> bool {
        true
    }
}

/// The action's result.
type Flow = Result<(), InitExit>;

/// The timeouts the settings give, for configfs.
fn timeouts(s: &O2cbSettings) -> Timeouts {
    Timeouts {
        dead_threshold: s.heartbeat_threshold,
        idle_timeout_ms: s.idle_timeout_ms,
        keepalive_delay_ms: s.keepalive_delay_ms,
        reconnect_delay_ms: s.reconnect_delay_ms,
    }
}

/// The stack plugin a stack label selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plugin {
    O2cb,
    User,
}

struct Init<'c, 'io> {
    ctx: &'c mut Context<'io>,
    settings: O2cbSettings,
    settings_path: PathBuf,
    settings_file: SettingsFile,
    debian: bool,
    /// Whether each line is shown as soon as it is printed: the actions that change the
    /// machine show each step before it runs; reports (`status`) print at once, at the end.
    progress: bool,
}

impl Init<'_, '_> {
    fn root(&self) -> &SysRoot {
        &self.ctx.root
    }

    /// `echo -n TEXT` (the reason lines come after it).
    fn begin(&mut self, text: &str) {
        self.ctx.print(text.as_bytes());
        self.show_progress();
    }

    fn line(&mut self, text: &str) {
        self.ctx.print(text.as_bytes());
        self.ctx.print(b"\n");
        self.show_progress();
    }

    fn show_progress(&mut self) {
        if self.progress {
            let _ = self.ctx.out.flush();
        }
    }

    fn reason(&mut self, text: &str) {
        let _ = self.ctx.out.flush();
        self.ctx.error_line(text);
    }

    fn if_fail(&mut self, step: Step) -> Flow {
        match step {
            Step::Done => {
                self.line("OK");
                Ok(())
            }
            Step::Already => Ok(()),
            Step::Failed(reason) => {
                self.line("Failed");
                if let Some(r) = reason {
                    self.reason(&r);
                }
                Err(InitExit::FAILED)
            }
        }
    }

    fn configfs_path(&self) -> PathBuf {
        let sys = self.root().path("/sys/kernel/config");
        if sys.is_dir() {
            sys
        } else {
            self.root().path("/config")
        }
    }

    fn shown(&self, p: &Path) -> String {
        self.root().display_path(p).display().to_string()
    }

    fn select_plugin(&mut self) -> Result<Plugin, InitExit> {
        match self.settings.stack.as_str() {
            "o2cb" => Ok(Plugin::O2cb),
            s if s.chars().count() == 4 => Ok(Plugin::User),
            s => {
                let s = s.to_string();
                self.begin(&format!("Checking if cluster stack \"{s}\" is supported: "));
                self.if_fail(Step::Failed(Some(format!(
                    "Invalid cluster stack name \"{s}\""
                ))))
                .map(|()| Plugin::User)
            }
        }
    }

    // ----- filesystems and modules ------------------------------------------------------

    fn load_filesystem(&mut self, fs: &str) -> Step {
        if mounts::filesystem_known(self.root(), fs) {
            return Step::Already;
        }
        self.begin(&format!("Loading filesystem \"{fs}\": "));
        match modules::modprobe(self.root(), fs, true) {
            Ok(true) => Step::Done,
            _ => Step::Failed(Some(format!("Unable to load filesystem \"{fs}\""))),
        }
    }

    fn make_dir(&mut self, dir: &Path) -> Step {
        if dir.is_dir() {
            return Step::Already;
        }
        if dir.exists() {
            return Step::Failed(Some(format!("{} is not a directory", self.shown(dir))));
        }
        self.begin(&format!("Creating directory '{}': ", self.shown(dir)));
        match mounts::make_dir_all(dir) {
            Ok(()) => Step::Done,
            Err(e) => Step::Failed(Some(format!(
                "Unable to create directory '{}': {e}",
                self.shown(dir)
            ))),
        }
    }

    fn mount_filesystem(&mut self, fs: &str, mount_point: &Path) -> Result<Step, InitExit> {
        if mounts::is_mounted(self.root(), fs, mount_point) {
            return Ok(Step::Already);
        }
        let step = self.load_filesystem(fs);
        self.if_fail(step)?;
        let step = self.make_dir(mount_point);
        self.if_fail(step)?;
        self.begin(&format!(
            "Mounting {fs} filesystem at {}: ",
            self.shown(mount_point)
        ));
        Ok(match mounts::mount_pseudo(fs, mount_point) {
            Ok(()) => Step::Done,
            Err(_) if mounts::is_mounted(self.root(), fs, mount_point) => Step::Already,
            Err(e) => Step::Failed(Some(format!("Unable to mount {fs} filesystem: {e}"))),
        })
    }

    fn unload_module(&mut self, name: &str) -> Step {
        match modules::loaded_module(self.root(), name) {
            None => Step::Already,
            Some(m) if m.users != 0 => Step::Already,
            Some(_) => {
                self.begin(&format!("Unloading module \"{name}\": "));
                // Judge by the result: some modprobe implementations report a failure
                // when they removed the module but not a dependency still in use.
                let _ = modules::modprobe_remove(self.root(), name);
                if modules::loaded_module(self.root(), name).is_none() {
                    Step::Done
                } else {
                    Step::Failed(Some(format!("Unable to unload module \"{name}\"")))
                }
            }
        }
    }

    fn unload_filesystem(&mut self, fs: &str) -> Step {
        if !mounts::filesystem_known(self.root(), fs) {
            return Step::Already;
        }
        self.unload_module(fs)
    }

    fn unmount_filesystem(
        &mut self,
        fs: &str,
        mount_point: &Path,
        force: bool,
    ) -> Result<Step, InitExit> {
        if mounts::is_mounted(self.root(), fs, mount_point) {
            self.begin(&format!("Unmounting {fs} filesystem: "));
            if force {
                for p in process::users_of(self.root(), mount_point) {
                    process::signal(&p, Signal::SIGKILL);
                }
            }
            let step = match mounts::unmount(mount_point) {
                Ok(()) => Step::Done,
                Err(e) => {
                    let users = describe_users(&process::users_of(self.root(), mount_point));
                    Step::Failed(Some(format!(
                        "Unable to unmount {fs} filesystem: {e}{users}"
                    )))
                }
            };
            self.if_fail(step)?;
        }
        Ok(self.unload_filesystem(fs))
    }

    fn debugfs_mounted(&self) -> bool {
        let d = self.root().debugfs();
        mounts::is_mounted(self.root(), "debugfs", &d)
    }

    fn dlmfs_is_mounted(&self) -> bool {
        dlmfs::is_dlmfs(&self.root().dlmfs_mount_point())
    }

    fn userdlm_domains(&self) -> Vec<String> {
        dlmfs::domains(&self.root().dlmfs_mount_point())
    }

    // ----- load / unload ----------------------------------------------------------------

    fn load(&mut self) -> Flow {
        let plugin = self.select_plugin()?;
        self.line("checking debugfs...");
        if !self.debugfs_mounted() {
            let _ = mounts::mount_pseudo("debugfs", &self.root().debugfs());
        }
        stack::touch_subsys_lock(self.root());
        let step = self.load_filesystem("configfs");
        self.if_fail(step)?;
        let path = self.configfs_path();
        let step = self.mount_filesystem("configfs", &path)?;
        self.if_fail(step)?;
        match plugin {
            Plugin::O2cb => self.load_stack(true),
            Plugin::User => self.load_stack(false),
        }
    }

    fn loaded_plugins(&self) -> Vec<String> {
        stack::loaded_plugins(self.root())
    }

    fn load_stack(&mut self, classic: bool) -> Flow {
        let plugin = if classic { "o2cb" } else { "user" };
        let stack_file = self.root().cluster_stack();
        if !stack_file.exists() {
            let _ = modules::modprobe(self.root(), "ocfs2_stackglue", true);
        }
        if stack_file.exists() {
            if !self.loaded_plugins().iter().any(|p| p == plugin) {
                self.begin(&format!("Loading stack plugin \"{plugin}\": "));
                let module = format!("ocfs2_stack_{plugin}");
                let step = match modules::modprobe(self.root(), &module, true) {
                    Ok(true) => Step::Done,
                    _ => Step::Failed(Some(format!("Unable to load module \"{module}\""))),
                };
                self.if_fail(step)?;
            }
        } else if !classic {
            let stack = self.settings.stack.clone();
            self.begin(&format!("Checking if stack \"{stack}\" is supported: "));
            return self.if_fail(Step::Failed(Some(
                "User stack plugin is not supported".into(),
            )));
        }
        if classic || self.dlmfs_user_capable() {
            let dlm = self.root().dlmfs_mount_point();
            let step = self.mount_filesystem("ocfs2_dlmfs", &dlm)?;
            self.if_fail(step)?;
        }
        Ok(())
    }

    fn dlmfs_user_capable(&self) -> bool {
        dlmfs::supports_user_stacks(&self.root().sys_module("ocfs2_dlmfs"))
    }

    fn unload(&mut self, force: bool) -> Flow {
        let plugin = self.select_plugin()?;
        let mut io = self.configfs();
        if let Ok(Some(clusters)) = read_clusters(&mut io) {
            if let Some(name) = clusters.first() {
                let msg = match plugin {
                    Plugin::O2cb => {
                        format!("Unable to unload modules as O2CB cluster {name} is still online")
                    }
                    Plugin::User => {
                        "Unable to unload modules as the cluster is still online".to_string()
                    }
                };
                self.reason(&msg);
                return Err(InitExit::FAILED);
            }
        }
        let dlm = self.root().dlmfs_mount_point();
        let step = self.unmount_filesystem("ocfs2_dlmfs", &dlm, force)?;
        self.if_fail(step)?;
        if stack::stack_glue_loaded(self.root()) {
            for p in self.loaded_plugins() {
                let module = format!("ocfs2_stack_{p}");
                let step = match self.unload_module(&module) {
                    Step::Failed(_) => Step::Failed(Some(format!("Unable to unload {module}"))),
                    s => s,
                };
                self.if_fail(step)?;
            }
            let step = match self.unload_module("ocfs2_stackglue") {
                Step::Failed(_) => Step::Failed(Some("Unable to unload ocfs2_stackglue".into())),
                s => s,
            };
            self.if_fail(step)?;
        }
        // The script stops at the stack glue and leaves the node manager (and with it the
        // configfs `cluster` directory and configfs itself) loaded; "stop" unloads the whole
        // stack it loaded.
        if plugin == Plugin::O2cb {
            for module in ["ocfs2_dlm", "ocfs2_nodemanager"] {
                let step = self.unload_module(module);
                self.if_fail(step)?;
            }
        }
        stack::remove_subsys_lock(self.root());
        let path = self.configfs_path();
        if mounts::is_empty_dir(&path) {
            let step = self.unmount_filesystem("configfs", &path, false)?;
            self.if_fail(step)?;
        }
        Ok(())
    }

    // ----- the cluster ------------------------------------------------------------------

    fn cluster_name(&self, arg: Option<&str>) -> Option<String> {
        arg.map(str::to_string)
            .filter(|s| !s.is_empty())
            .or_else(|| self.settings.boot_cluster.clone())
    }

    fn configfs(&self) -> RealConfigfs {
        RealConfigfs::for_root(self.configfs_path(), self.root().is_real_root())
    }

    /// 2 online, 0 not online, 1 error — the script's `check_online`.
    fn check_online(&mut self, cluster: &str) -> u8 {
        if self.select_plugin().is_err() {
            return 1;
        }
        if self.settings.stack != "o2cb" {
            return self.user_stack_online();
        }
        let Ok(name) = ConfigfsName::new(NameKind::Cluster, cluster.as_bytes()) else {
            return 0;
        };
        let mut io = self.configfs();
        match read_cluster(&mut io, &name) {
            Ok(state) if tool::cluster::is_online(&state) => 2,
            _ => 0,
        }
    }

    /// The registered cluster's state, if it is registered.
    fn cluster_state(&self, cluster: &str) -> Option<configfs::ClusterState> {
        let name = ConfigfsName::new(NameKind::Cluster, cluster.as_bytes()).ok()?;
        let mut io = self.configfs();
        if !configfs::ConfigfsIo::exists(&mut io, &configfs::paths::cluster(&name)) {
            return None;
        }
        read_cluster(&mut io, &name).ok()
    }

    fn heartbeat_global(&self, cluster: &str) -> bool {
        self.cluster_state(cluster).is_some_and(|s| s.is_global())
    }

    /// Runs an `o2cb` command the way the script runs `$(o2cb CMD C 2>&1)`: returns whether
    /// it succeeded and what it printed.
    fn o2cb(
        &mut self,
        command: fn(&mut Context<'_>, &mut Session, Vec<OsString>) -> CmdResult,
        cluster: &str,
    ) -> (bool, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let ok = {
            let mut sub = Context::new(
                OsString::from("o2cb"),
                self.ctx.root.clone(),
                &mut out,
                &mut err,
            );
            let path = sub.root.cluster_conf().into_os_string();
            match Session::load(&mut sub, &path, false) {
                Some(mut s) => match command(&mut sub, &mut s, vec![OsString::from(cluster)]) {
                    Ok(()) => true,
                    Err(failure) => {
                        o2cb_runtime::report(&mut sub, &failure, "");
                        false
                    }
                },
                None => false,
            }
        };
        out.extend_from_slice(&err);
        let text = String::from_utf8_lossy(&out)
            .trim_end_matches('\n')
            .to_string();
        (ok, text)
    }

    /// A step that runs an `o2cb` command: `TEXT: OK`, or `Failed` and its output.
    fn o2cb_step(
        &mut self,
        text: &str,
        command: fn(&mut Context<'_>, &mut Session, Vec<OsString>) -> CmdResult,
        cluster: &str,
    ) -> bool {
        self.begin(text);
        let (ok, output) = self.o2cb(command, cluster);
        if ok {
            self.line("OK");
        } else {
            self.line("Failed");
            self.line(&output);
        }
        ok
    }

    fn online(&mut self, arg: Option<&str>) -> Flow {
        let Some(cluster) = self.cluster_name(arg) else {
            self.line("Cluster not known");
            return Ok(());
        };
        let plugin = self.select_plugin()?;
        let stack = self.settings.stack.clone();
        let stack_file = self.root().cluster_stack();
        if stack_file.exists() {
            self.begin(&format!("Setting cluster stack \"{stack}\": "));
            let step = match stack::set_cluster_stack(self.root(), &stack) {
                Ok(()) => Step::Done,
                Err(e) => Step::Failed(Some(format!(
                    "Unable to store cluster stack \"{stack}\": {e}"
                ))),
            };
            self.if_fail(step)?;
        } else if stack != "o2cb" {
            self.begin(&format!("Setting cluster stack \"{stack}\": "));
            return self.if_fail(Step::Failed(Some(format!(
                "Stack \"{stack}\" is not supported"
            ))));
        }
        match plugin {
            Plugin::O2cb => self.online_o2cb(&cluster),
            Plugin::User => self.online_user(&cluster),
        }
    }

    fn cluster_conf_present(&mut self) -> Flow {
        if self.root().cluster_conf().exists() {
            return Ok(());
        }
        self.begin("Checking O2CB cluster configuration : ");
        let path = self.shown(&self.root().cluster_conf());
        self.if_fail(Step::Failed(Some(format!("{path} does not exist"))))
    }

    fn online_o2cb(&mut self, cluster: &str) -> Flow {
        // Re-online is how node and region changes reach a running cluster in global mode.
        if self.check_online(cluster) == 2 && !self.heartbeat_global(cluster) {
            self.line(&format!("Cluster {cluster} already online"));
            return Ok(());
        }
        self.cluster_conf_present()?;
        if !self.o2cb_step(
            &format!("Registering O2CB cluster \"{cluster}\": "),
            tool::cluster::register_cluster,
            cluster,
        ) {
            // A refused registration is undone by register-cluster itself; only a cluster
            // that is still there needs unregistering.
            let text = format!("Unregistering O2CB cluster \"{cluster}\": ");
            if self.cluster_state(cluster).is_some() {
                self.o2cb_step(&text, tool::cluster::unregister_cluster, cluster);
            } else {
                self.begin(&text);
                self.line("OK");
            }
            return Err(InitExit::FAILED);
        }
        self.begin("Setting O2CB cluster timeouts : ");
        let step = self.set_timeouts(cluster);
        self.if_fail(step)?;
        if self.heartbeat_global(cluster) {
            self.cluster_conf_present()?;
            if !self.o2cb_step(
                &format!("Starting global heartbeat for cluster \"{cluster}\": "),
                tool::cluster::start_heartbeat,
                cluster,
            ) {
                self.o2cb_step(
                    &format!("Stopping global heartbeat on cluster \"{cluster}\": "),
                    tool::cluster::stop_heartbeat,
                    cluster,
                );
                return Err(InitExit::FAILED);
            }
        }
        self.start_hbmonitor();
        Ok(())
    }

    fn set_timeouts(&mut self, cluster: &str) -> Step {
        let Ok(name) = ConfigfsName::new(NameKind::Cluster, cluster.as_bytes()) else {
            return Step::Failed(Some(format!("`{cluster}` is not a cluster name")));
        };
        let mut io = self.configfs();
        let state = match read_cluster(&mut io, &name) {
            Ok(s) => s,
            Err(e) => return Step::Failed(Some(format!("cannot read cluster {cluster}: {e}"))),
        };
        let plan = match plan_timeouts(&state, &timeouts(&self.settings)) {
            Ok(p) => p,
            Err(e) => {
                return Step::Failed(Some(format!(
                    "{e} (check {})",
                    self.shown(&self.settings_path)
                )))
            }
        };
        match apply(&mut io, &plan) {
            Ok(_) => Step::Done,
            Err(e) => Step::Failed(Some(e.to_string())),
        }
    }

    fn start_hbmonitor(&mut self) {
        // Found as the C script finds it (Debian installs it in /usr/sbin).
        if let Some(monitor) = self.root().find_program("o2hbmonitor") {
            process::run_quietly(&monitor);
        }
    }

    /// With a control daemon: start it unless it runs. Without one (pcmk since kernel
    /// 3.14), there is nothing to start: the checks say whether the stack is ready.
    fn online_user(&mut self, cluster: &str) -> Flow {
        let daemon = self.control_daemon();
        if daemon.is_some() && self.check_online(cluster) == 2 {
            self.line(&format!("Cluster {cluster} already online"));
            return Ok(());
        }
        let step = match self.load_filesystem("ocfs2") {
            Step::Failed(_) => Step::Failed(Some("Unable to load ocfs2 driver".into())),
            s => s,
        };
        self.if_fail(step)?;
        if let Some(daemon) = daemon {
            let name = daemon
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.begin(&format!("Starting {name}: "));
            let step = if process::run_quietly(&daemon) {
                Step::Done
            } else {
                Step::Failed(Some("Unable to start control daemon".into()))
            };
            return self.if_fail(step);
        }
        self.check_user_stack()
    }

    /// The control daemon of the user stack (`ocfs2_controld.<stack>`), where one is
    /// installed; kernels since 3.14 need none (DLM recovery callbacks), and no
    /// distribution ships one for pcmk any more.
    fn control_daemon(&self) -> Option<PathBuf> {
        self.root()
            .find_program(&format!("ocfs2_controld.{}", self.settings.stack))
    }

    /// Without a control daemon: the kernel must take DLM recovery callbacks, and the
    /// cluster manager must have started corosync and dlm_controld (starting them is its
    /// job, not ours); each check is a line, and the first that fails says what is missing.
    fn check_user_stack(&mut self) -> Flow {
        let stack = self.settings.stack.clone();
        self.begin(&format!(
            "Checking if stack \"{stack}\" runs without a control daemon: "
        ));
        let ready = o2cb_sys::userstack::check_label(&stack)
            .and_then(|()| o2cb_sys::userstack::check_callbacks(self.root()));
        self.if_fail(Self::checked(ready))?;
        for daemon in o2cb_sys::userstack::DAEMONS {
            self.begin(&format!("Checking for {daemon}: "));
            let running = if process::by_name(self.root(), daemon).is_empty() {
                Err(o2cb_sys::userstack::UserStackError::NotRunning(daemon))
            } else {
                Ok(())
            };
            self.if_fail(Self::checked(running))?;
        }
        Ok(())
    }

    /// A check's result as a step: done, or failed with the check's reason.
    fn checked(result: Result<(), o2cb_sys::userstack::UserStackError>) -> Step {
        match result {
            Ok(()) => Step::Done,
            Err(e) => Step::Failed(Some(e.to_string())),
        }
    }

    /// 2 when the user stack is up (its control daemon runs, or without one: the stack file
    /// selects it and corosync and dlm_controld run), else 0 (1 when the control daemon
    /// is installed but not running, as the script says).
    fn user_stack_online(&self) -> u8 {
        if let Some(daemon) = self.control_daemon() {
            let name = daemon
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            return if process::by_name(self.root(), &name[..name.len().min(15)]).is_empty() {
                1
            } else {
                2
            };
        }
        if o2cb_sys::userstack::state(self.root()).online(&self.settings.stack) {
            2
        } else {
            0
        }
    }

    /// Removes the userdlm domains. Where the script kills every process using dlmfs
    /// (`fuser -km -9 /dlm`), a process still using it stops `offline` with its name;
    /// `force-offline` kills them as the script did.
    fn clean_userdlm_domains(&mut self, force: bool) -> Flow {
        if !self.dlmfs_is_mounted() {
            return Ok(());
        }
        self.begin("Clean userdlm domains: ");
        let dlm = self.root().dlmfs_mount_point();
        let users = process::users_of(self.root(), &dlm);
        if !users.is_empty() {
            if force {
                for p in &users {
                    process::signal(p, Signal::SIGKILL);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            } else {
                let who = describe_users(&users);
                return self.if_fail(Step::Failed(Some(format!(
                    "dlmfs at {} is in use{who}; stop those programs or use force-offline",
                    self.shown(&dlm)
                ))));
            }
        }
        for domain in self.userdlm_domains() {
            if let Err(e) = dlmfs::remove_domain(&dlm, &domain) {
                return self.if_fail(Step::Failed(Some(format!(
                    "cannot remove userdlm domain {domain}: {e}"
                ))));
            }
        }
        self.line("OK");
        Ok(())
    }

    fn offline(&mut self, arg: Option<&str>, force: bool) -> Flow {
        let Some(cluster) = self.cluster_name(arg) else {
            return Ok(());
        };
        let plugin = self.select_plugin()?;
        if plugin == Plugin::User {
            // The classic stack refuses while a heartbeat region is active; a user stack has
            // none, so the mounts themselves are what must go first.
            let mounted = mounts::mount_points(self.root(), "ocfs2");
            if let Some(first) = mounted.first() {
                self.begin(&format!("Stopping cluster {cluster}: "));
                return self.if_fail(Step::Failed(Some(format!(
                    "Unable to stop the cluster as OCFS2 volumes are mounted ({first}: umount them first)"
                ))));
            }
        }
        self.clean_userdlm_domains(force)?;
        match plugin {
            Plugin::O2cb => self.offline_o2cb(&cluster)?,
            Plugin::User => self.offline_user(force),
        }
        let step = self.unload_filesystem("ocfs2");
        self.if_fail(step)
    }

    fn offline_o2cb(&mut self, cluster: &str) -> Flow {
        if self.cluster_state(cluster).is_none() {
            return Ok(());
        }
        if self.heartbeat_global(cluster)
            && !self.o2cb_step(
                &format!("Stopping global heartbeat on cluster \"{cluster}\": "),
                tool::cluster::stop_heartbeat,
                cluster,
            )
        {
            return Err(InitExit::FAILED);
        }
        // No newline: the next line continues it, as the script's output does.
        self.begin(&format!("Stopping O2CB cluster {cluster}: "));
        let active = self.active_regions(cluster);
        if let Some(region) = active.first() {
            self.line("Failed");
            self.reason(&format!(
                "Unable to stop cluster as heartbeat region still active ({region}: umount the OCFS2 volumes first)"
            ));
            return Err(InitExit::FAILED);
        }
        for p in process::by_name(self.root(), "o2hbmonitor") {
            process::signal(&p, Signal::SIGTERM);
        }
        if self.o2cb_step(
            &format!("Unregistering O2CB cluster \"{cluster}\": "),
            tool::cluster::unregister_cluster,
            cluster,
        ) {
            Ok(())
        } else {
            Err(InitExit::FAILED)
        }
    }

    fn active_regions(&self, cluster: &str) -> Vec<String> {
        self.cluster_state(cluster)
            .map(|s| s.regions.iter().map(|r| r.name.to_string()).collect())
            .unwrap_or_default()
    }

    fn offline_user(&mut self, force: bool) {
        let daemon = format!("ocfs2_controld.{}", self.settings.stack);
        let procs = process::by_name(self.root(), &daemon[..daemon.len().min(15)]);
        if procs.is_empty() {
            return;
        }
        self.begin(&format!("Stopping {daemon}: "));
        let sig = if force {
            Signal::SIGKILL
        } else {
            Signal::SIGTERM
        };
        for p in &procs {
            process::signal(p, sig);
        }
        self.line("Stopped");
    }

    // ----- status -----------------------------------------------------------------------

    fn status_filesystem(&mut self, view: &MountView, fs: &str, mount_point: &Path) {
        self.begin(&format!("Driver for \"{fs}\": "));
        if !view.filesystem_known(self.root(), fs) {
            self.line("Not loaded");
            return;
        }
        self.line("Loaded");
        self.begin(&format!("Filesystem \"{fs}\": "));
        let mounted = view.is_mounted(self.root(), fs, mount_point);
        self.line(if mounted { "Mounted" } else { "Not mounted" });
    }

    fn status_stack(&mut self, view: &MountView, plugin: Plugin) {
        let name = if plugin == Plugin::O2cb {
            "o2cb"
        } else {
            "user"
        };
        match stack::stack_glue_plugins(self.root()) {
            None => {
                if plugin != Plugin::O2cb {
                    self.line("Stack glue driver: Not loaded");
                }
            }
            Some(plugins) => {
                self.line("Stack glue driver: Loaded");
                self.begin(&format!("Stack plugin \"{name}\": "));
                let loaded = plugins.iter().any(|p| p.contains(name));
                self.line(if loaded { "Loaded" } else { "Not loaded" });
            }
        }
        match plugin {
            Plugin::O2cb => {
                let dlm = self.root().dlmfs_mount_point();
                self.status_filesystem(view, "ocfs2_dlmfs", &dlm);
            }
            Plugin::User => {
                self.begin("Driver for \"ocfs2\": ");
                let loaded = view.filesystem_known(self.root(), "ocfs2");
                self.line(if loaded { "Loaded" } else { "Not loaded" });
            }
        }
    }

    /// Whether debugfs is mounted where the script looks for it, from the view.
    fn debugfs_in(&self, view: &MountView) -> bool {
        view.is_mounted(self.root(), "debugfs", &self.root().debugfs())
    }

    /// What a status report shows of the cluster, if it is registered and readable; configfs
    /// at `configfs` (found once per report).
    fn cluster_summary(&self, cluster: &str, configfs: &Path) -> Option<ClusterSummary> {
        let name = ConfigfsName::new(NameKind::Cluster, cluster.as_bytes()).ok()?;
        let mut io = RealConfigfs::for_root(configfs.to_path_buf(), self.root().is_real_root());
        read_cluster_summary(&mut io, &name).ok()
    }

    /// The script's status report; exit 0 when the cluster is online, 3 when it is not (or
    /// none is known), as LSB asks. Monitors call it every few seconds, so it only reads, and
    /// reads each file once: `/proc/filesystems` and `/proc/mounts` through one view, the
    /// cluster's attributes once and only those it shows.
    fn status(&mut self, arg: Option<&str>) -> Flow {
        self.progress = false;
        let plugin = self.select_plugin()?;
        let view = MountView::new();
        let path = self.configfs_path();
        self.status_filesystem(&view, "configfs", &path);
        self.status_stack(&view, plugin);
        let Some(cluster) = self.cluster_name(arg) else {
            return Err(InitExit::NOT_RUNNING);
        };
        let online = match plugin {
            Plugin::O2cb => self.status_o2cb(&view, &cluster, &path),
            Plugin::User if self.control_daemon().is_none() => self.status_user_stack(),
            Plugin::User => {
                let up = self.check_online(&cluster) == 2;
                self.line(&format!(
                    "Checking for control daemon: {}",
                    if up { "running" } else { "not running" }
                ));
                up
            }
        };
        let domains = self.userdlm_domains();
        if !domains.is_empty() {
            // The script echoes an unquoted list after a trailing blank: two spaces.
            self.line(&format!("Active userdlm domains:  {}", domains.join(" ")));
        }
        let debugfs = if self.debugfs_in(&view) {
            "mounted"
        } else {
            "not mounted"
        };
        self.line(&format!(
            "Debug file system at /sys/kernel/debug: {debugfs}"
        ));
        if online {
            Ok(())
        } else {
            Err(InitExit::NOT_RUNNING)
        }
    }

    fn status_o2cb(&mut self, view: &MountView, cluster: &str, configfs: &Path) -> bool {
        self.begin(&format!("Checking O2CB cluster \"{cluster}\": "));
        let Some(state) = self
            .cluster_summary(cluster, configfs)
            .filter(tool::cluster::summary_is_online)
        else {
            self.line("Offline");
            return false;
        };
        self.line("Online");
        let t = state.timeouts;
        for (label, value) in [
            ("Heartbeat dead threshold", t.dead_threshold),
            ("Network idle timeout", t.idle_timeout_ms),
            ("Network keepalive delay", t.keepalive_delay_ms),
            ("Network reconnect delay", t.reconnect_delay_ms),
        ] {
            if let Some(v) = value {
                self.line(&format!("  {label}: {v}"));
            }
        }
        let global = state.is_global();
        self.line(&format!(
            "  Heartbeat mode: {}",
            if global { "Global" } else { "Local" }
        ));
        self.begin("Checking O2CB heartbeat: ");
        if state.regions.is_empty() {
            self.line("Not active");
            return true;
        }
        self.line("Active");
        if global {
            let mut regions = state.regions;
            regions.sort_by(|a, b| a.name.cmp(&b.name));
            for r in regions {
                let dev = r.dev.unwrap_or_default();
                self.line(&format!("  {} /dev/{dev}", r.name));
            }
            if self.debugfs_in(view) {
                let live = stack::live_nodes(self.root()).unwrap_or_default();
                self.line(&format!("Nodes in O2CB cluster: {live}"));
            }
        }
        true
    }

    /// The user stack without a control daemon: online when selected with corosync and
    /// dlm_controld running; then the cluster, its members and the volumes' lockspaces.
    fn user_stack_status(&self) -> (bool, crate::json::UserStackStatus) {
        let state = o2cb_sys::userstack::state(self.root());
        let stack = self.settings.stack.clone();
        let online = state.online(&stack);
        let status = crate::json::UserStackStatus {
            selected: state.active_stack.as_deref() == Some(&stack),
            stack,
            corosync_running: state.corosync_running,
            dlm_controld_running: state.dlm_controld_running,
            cluster_name: state.cluster_name,
            members: state.members,
            lockspaces: state.lockspaces,
        };
        (online, status)
    }

    fn status_user_stack(&mut self) -> bool {
        let (online, s) = self.user_stack_status();
        self.line(&format!(
            "Checking user stack \"{}\": {}",
            s.stack,
            if online { "Online" } else { "Offline" }
        ));
        let shown = |up: bool| if up { "running" } else { "not running" };
        self.line(&format!("  corosync: {}", shown(s.corosync_running)));
        self.line(&format!(
            "  dlm_controld: {}",
            shown(s.dlm_controld_running)
        ));
        if let Some(name) = &s.cluster_name {
            self.line(&format!("  Cluster name: {name}"));
            let members: Vec<String> = s.members.iter().map(u32::to_string).collect();
            self.line(&format!("  Members: {}", members.join(" ")));
        }
        if !s.lockspaces.is_empty() {
            self.line(&format!("  DLM lockspaces: {}", s.lockspaces.join(" ")));
        }
        online
    }

    /// `status --json`: the same facts as `status`, as a JSON document (docs/json.md); the
    /// exit status is the same.
    fn status_json(&mut self, arg: Option<&str>) -> Flow {
        use crate::json::{DriverStatus, InitCluster, InitStatus, RegionStatus};
        self.progress = false;
        let plugin = self.select_plugin()?;
        let view = MountView::new();
        let configfs = self.configfs_path();
        let dlm = self.root().dlmfs_mount_point();
        let plugins = stack::stack_glue_plugins(self.root());
        let mut report = InitStatus {
            schema: crate::json::SCHEMA_VERSION,
            configfs: DriverStatus {
                loaded: view.filesystem_known(self.root(), "configfs"),
                mounted: view.is_mounted(self.root(), "configfs", &configfs),
            },
            stack_glue_loaded: plugins.is_some(),
            stack_plugin: if plugin == Plugin::O2cb {
                "o2cb"
            } else {
                "user"
            }
            .to_string(),
            stack_plugin_loaded: plugins.unwrap_or_default().iter().any(|p| {
                p == if plugin == Plugin::O2cb {
                    "o2cb"
                } else {
                    "user"
                }
            }),
            dlmfs: DriverStatus {
                loaded: view.filesystem_known(self.root(), "ocfs2_dlmfs"),
                mounted: view.is_mounted(self.root(), "ocfs2_dlmfs", &dlm),
            },
            cluster: None,
            userdlm_domains: self.userdlm_domains(),
            debugfs_mounted: self.debugfs_in(&view),
            user_stack: None,
        };
        // Without a control daemon, the user stack's state says whether it is online.
        let user_online = if plugin == Plugin::User && self.control_daemon().is_none() {
            let (online, status) = self.user_stack_status();
            report.user_stack = Some(status);
            Some(online)
        } else {
            None
        };
        let mut online = false;
        if let Some(cluster) = self.cluster_name(arg) {
            // The classic stack is online by what configfs shows; a user stack by its
            // control daemon, and then configfs is read for the details.
            let (online_now, summary) = match plugin {
                Plugin::O2cb => {
                    let summary = self.cluster_summary(&cluster, &configfs);
                    (
                        summary
                            .as_ref()
                            .is_some_and(tool::cluster::summary_is_online),
                        summary,
                    )
                }
                Plugin::User => {
                    let up = user_online.unwrap_or_else(|| self.check_online(&cluster) == 2);
                    (
                        up,
                        up.then(|| self.cluster_summary(&cluster, &configfs))
                            .flatten(),
                    )
                }
            };
            online = online_now;
            let mut c = InitCluster {
                name: cluster.clone(),
                online,
                ..InitCluster::default()
            };
            if let Some(state) = summary.filter(|_| online) {
                c.heartbeat_dead_threshold = state.timeouts.dead_threshold;
                c.idle_timeout_ms = state.timeouts.idle_timeout_ms;
                c.keepalive_delay_ms = state.timeouts.keepalive_delay_ms;
                c.reconnect_delay_ms = state.timeouts.reconnect_delay_ms;
                c.heartbeat_mode = Some(state.heartbeat_mode.clone());
                c.heartbeat_active = !state.regions.is_empty();
                if state.is_global() {
                    let mut regions = state.regions;
                    regions.sort_by(|a, b| a.name.cmp(&b.name));
                    c.heartbeat_regions = regions
                        .into_iter()
                        .map(|r| RegionStatus {
                            uuid: r.name.to_string(),
                            device: format!("/dev/{}", r.dev.unwrap_or_default()),
                        })
                        .collect();
                    c.live_nodes = stack::live_nodes(self.root()).map(|l| {
                        l.split_whitespace()
                            .filter_map(|n| n.parse().ok())
                            .collect()
                    });
                }
            }
            report.cluster = Some(c);
        }
        self.ctx.print(report.render().as_bytes());
        if online {
            Ok(())
        } else {
            Err(InitExit::NOT_RUNNING)
        }
    }

    fn online_status(&mut self, arg: Option<&str>) -> i32 {
        let Some(cluster) = self.cluster_name(arg) else {
            self.reason("Cluster not known (no cluster named and O2CB_BOOTCLUSTER is empty)");
            return 2;
        };
        match self.check_online(&cluster) {
            2 => {
                self.line("online");
                0
            }
            0 => {
                self.line("offline");
                1
            }
            _ => {
                self.line("error");
                2
            }
        }
    }

    // ----- the settings file ------------------------------------------------------------

    fn write_settings(&mut self, values: &[(&str, String)]) -> Flow {
        self.begin("Writing O2CB configuration: ");
        let settings_path = self.settings_path.clone();
        let opened =
            o2cb_sys::LockedFile::open_with(&settings_path, &mut tool::lock_wait_notice(self.ctx));
        let result = opened.map_err(|e| e.to_string()).and_then(|mut lock| {
            // Re-read under the lock so that nothing written meanwhile is lost.
            let current = String::from_utf8_lossy(lock.contents().unwrap_or_default()).into_owned();
            let mut file =
                SettingsFile::parse(&current).unwrap_or_else(|_| self.settings_file.clone());
            for (k, v) in values {
                file.set(k, v).map_err(|e| e.to_string())?;
            }
            lock.replace(file.text().as_bytes())
                .map(|_| file)
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(file) => {
                self.settings_file = file;
                self.line("OK");
                Ok(())
            }
            Err(e) => self.if_fail(Step::Failed(Some(format!(
                "Unable to write the driver configuration: {e}"
            )))),
        }
    }

    /// Sets O2CB_ENABLED=true (unless it already is), then starts.
    fn enable(&mut self) -> Flow {
        if !self.settings.enabled {
            self.settings.enabled = true;
            self.write_settings(&[("O2CB_ENABLED", "true".into())])?;
        }
        self.start(None)
    }

    /// Sets O2CB_ENABLED=false (unless the file already says so), then stops.
    fn disable(&mut self) -> Flow {
        if self.settings_file.get("O2CB_ENABLED") != Some("false") {
            self.settings.enabled = false;
            self.write_settings(&[("O2CB_ENABLED", "false".into())])?;
        }
        self.stop(None)
    }

    fn start(&mut self, arg: Option<&str>) -> Flow {
        if !self.settings.enabled {
            return Ok(());
        }
        self.load()?;
        self.online(arg)
    }

    fn stop(&mut self, arg: Option<&str>) -> Flow {
        self.offline(arg, false)?;
        self.unload(false)
    }
}

fn describe_users(users: &[process::Process]) -> String {
    if users.is_empty() {
        return String::new();
    }
    let list: Vec<String> = users
        .iter()
        .map(|p| format!("{} ({})", p.pid, p.comm))
        .collect();
    format!(" by {}", list.join(", "))
}

mod configure;

/// Runs `o2cb.init ACTION [CLUSTER]` and returns the exit status.
pub fn run(ctx: &mut Context<'_>, args: Vec<OsString>) -> i32 {
    let script = std::env::var("O2CB_INIT_SCRIPT")
        .unwrap_or_else(|_| ctx.argv0.to_string_lossy().into_owned());
    let usage = |ctx: &mut Context<'_>| {
        ctx.print(format!("Usage: {script} {{{}}}\n", action_names()).as_bytes());
        1
    };
    let Some(action) = args.first().map(|a| a.to_string_lossy().into_owned()) else {
        return usage(ctx);
    };
    let rest: Vec<String> = args[1..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (settings_path, debian) = settings_path(&ctx.root);
    let text = match o2cb_sys::conffile::read_optional(&settings_path) {
        Ok(b) => String::from_utf8_lossy(&b.unwrap_or_default()).into_owned(),
        Err(e) => {
            ctx.error(e);
            return 1;
        }
    };
    let shown = ctx.root.display_path(&settings_path).display().to_string();
    let settings_file = match SettingsFile::parse(&text) {
        Ok(f) => f,
        Err(errors) => {
            for e in errors {
                ctx.error_line(format!("{shown}:{e}"));
            }
            ctx.error(format!("cannot read the settings in {shown}"));
            return 1;
        }
    };
    let settings = match O2cbSettings::from_file(&settings_file) {
        Ok(s) => s,
        Err(e) => {
            ctx.error(format!("{shown}: {e}"));
            return 1;
        }
    };
    let mut init = Init {
        ctx,
        settings,
        settings_path,
        settings_file,
        debian,
        progress: true,
    };
    let result = match ACTIONS.iter().find(|a| a.name == action) {
        Some(a) => (a.run)(&mut init, &rest),
        None => return usage(init.ctx),
    };
    match result {
        Ok(()) => 0,
        Err(e) => o2cb_runtime::report(init.ctx, &e, ""),
    }
}
