// Types of the test lab's state (written to <stateDir>/state.json). Test data: it holds the
// generated passwords and key paths on purpose.

export type ProfileId = 'centos-6.6' | 'ol-6.5' | 'sles-11-sp3' | 'rhel-8.6' | 'ubuntu-22.04';

export interface LabUser {
  /** Login name. */
  name: string;
  uid: number;
  home: string;
  /** Password for password / keyboard-interactive login (undefined: no password login, e.g. root). */
  password?: string;
  /** Private key (OpenSSH format, 0600) that this user's authorized_keys accepts. */
  keyPath?: string;
  /** Passphrase of keyPath when the key is encrypted. */
  keyPassphrase?: string;
  /** The public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey?: string;
  /** How sudo behaves: root needs none, `password` asks for the user's password, `nopasswd` does not. */
  sudo: 'root' | 'password' | 'nopasswd';
}

export interface LabUsers {
  /** root: key login only (`PermitRootLogin prohibit-password`). */
  root: LabUser & { keyPath: string; publicKey: string };
  /** asrlab-admin: password login, passphrase-protected key, sudo asks for the password. */
  admin: LabUser & { password: string; keyPath: string; keyPassphrase: string; publicKey: string };
  /** asrlab-nopw: password login, plain key, NOPASSWD sudo. */
  nopw: LabUser & { password: string; keyPath: string; publicKey: string };
}

export interface HostState {
  /** Short ASCII name, unique in the lab (`centos66`, `clone07`, `s130`). */
  name: string;
  /** The host's own host name (UTS namespace; may be non-ASCII). */
  hostname: string;
  address: string;
  profile: ProfileId;
  /** Network namespace name (`ip netns exec <ns> …`). */
  ns: string;
  sshPort: 22;
  /** `SHA256:<base64, no padding>` exactly as `ssh-keygen -lf` prints it. Changes with the `rekey` fault. */
  hostKeyFingerprint: string;
  /** `ssh-ed25519 AAAA…` (the only host key the server offers). */
  hostPublicKey: string;
  users: LabUsers;
  /** false on the host whose /etc/hosts maps its name to another address. */
  etcHostsCorrect: boolean;
  /** The address that the host's /etc/hosts gives for its own name. */
  etcHostsAddress: string;
  /** false on the host whose sshd has no sftp subsystem. */
  sftp: boolean;
  nonEnglishName: boolean;
  /** true when its sshd has `Subsystem powershell … -sshs`. */
  powershell: boolean;
  /** The release files the host has (path → content); `osRelease` is the one a detector reads first. */
  releaseFiles: Record<string, string>;
  /** Files of the machine that this host hides (no os-release on legacy distributions, …). */
  hiddenFiles: string[];
  /** The host's directory in the lab (its upper /etc, private /root, /home, …, sshd config and log). */
  dir: string;
  sshdConfigPath: string;
  sshdLogPath: string;
  /** Root-namespace PID of the host's init (PID 1 of its PID namespace). */
  initPid: number;
  /** Created after labUp by addHost (a throwaway host of one test). */
  scratch: boolean;
}

export interface VcsimState {
  /** `https://127.0.0.1:PORT/sdk` */
  url: string;
  sdkUrl: string;
  user: string;
  password: string;
  /** SHA-256 of the TLS certificate's DER, 64 lowercase hex digits. */
  fingerprintSha256: string;
  vmCount: number;
  poweredOff: number;
  hostCount: number;
  pid: number;
  binary: string;
  /** Guest IP addresses handed to the powered-on VMs, round robin (= lab host addresses). */
  guestIps: string[];
}

export interface ProxyState {
  /** `http://USER:PASSWORD@HOST:PORT` */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  pid: number;
  /** Names the proxy resolves to the lab endpoint (squid hosts_file). */
  endpointNames: string[];
  /** A TLS (443) and plain HTTP (80) listener on a lab address, answering 200 with a JSON body. */
  endpoint: { address: string; ns: string; tlsPort: number; httpPort: number; certPath: string; pid: number };
  /** Ports that CONNECT may reach. */
  connectPorts: number[];
}

export interface PwshState {
  /** pwsh to run on the client side (root namespace). */
  path: string;
  /** Names of hosts whose sshd has the powershell subsystem. */
  hosts: string[];
}

/** The stand-in replication appliance's listener: TLS on 443 (control) and 9443 (data) at a lab address. */
export interface ApplianceState {
  address: string;
  ns: string;
  ports: number[];
  pid: number;
  certPath: string;
}

export interface LabState {
  id: string;
  stateDir: string;
  createdAt: string;
  /** PID (and /proc start time) of the process that owns the lab; downStale() removes labs whose owner died. */
  ownerPid: number;
  ownerStartTime: number;
  /** true when started by `cli.ts up`: the owner is a keeper process that `down` stops. */
  detached: boolean;
  bridge: string;
  bridgeAddress: string;
  /** `10.A.B.0/24` */
  subnet: string;
  hosts: HostState[];
  /** known_hosts with every host's address and its current key. */
  knownHostsPath: string;
  /** The same accounts exist on every host (also in hosts[].users). */
  users: LabUsers;
  /** Paths that the disk-full fault covers with a full 2 MiB tmpfs. */
  diskFullPaths: string[];
  vcsim?: VcsimState;
  proxy?: ProxyState;
  pwsh?: PwshState;
  /** Stand-in replication appliance (test/lab/appliance.ts): reachability from the hosts on 443 and 9443. */
  appliance?: ApplianceState;
  /** component → why it is not there (vcsim, proxy, pwsh, …). */
  unavailable: Record<string, string>;
  timings: Record<string, number>;
}

export type FaultName = 'sshd-stop' | 'sshd-start' | 'drop-22' | 'undrop-22' | 'disk-full' | 'disk-free' | 'rekey' | 'hang' | 'unhang';

export interface FaultResult {
  host: string;
  fault: FaultName;
  /** The host's fingerprint after the fault (changes with rekey). */
  hostKeyFingerprint: string;
  detail: string;
}
