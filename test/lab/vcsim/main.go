// vcsim for the ASR Deploy test lab: VMware's vCenter simulator (govmomi 0.24.2, Debian's
// golang-github-vmware-govmomi-dev) served over HTTPS with a real password check, lab guest IP
// addresses and a mix of Linux/Windows guests. Built offline in GOPATH mode by test/lab/vcsim.ts.
//
// Prints one JSON line on stdout once it listens:
//
//	{"url":"https://127.0.0.1:PORT/sdk","fingerprintSha256":"<64 hex>","vmCount":N,...}
//
// and runs until SIGTERM/SIGINT (or until stdin closes with -exit-on-stdin-eof).
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type guestKind struct {
	id       string
	fullName string
	family   string
}

var guestKinds = []guestKind{
	{"rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)", "linuxGuest"},
	{"windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)", "windowsGuest"},
	{"ubuntu64Guest", "Ubuntu Linux (64-bit)", "linuxGuest"},
	{"windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)", "windowsGuest"},
	{"centos64Guest", "CentOS 4/5/6/7 (64-bit)", "linuxGuest"},
	{"sles11_64Guest", "SUSE Linux Enterprise 11 (64-bit)", "linuxGuest"},
	{"oracleLinux64Guest", "Oracle Linux 4/5/6/7 (64-bit)", "linuxGuest"},
}

func selfSigned(hosts []string) (tls.Certificate, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tpl := x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "asr-lab-vcsim", Organization: []string{"ASR Deploy test lab"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
		} else if h != "" {
			tpl.DNSNames = append(tpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, &tpl, &tpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, "", err
	}
	sum := sha256.Sum256(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, hex.EncodeToString(sum[:]), nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen address (host:port, port 0 = any)")
	user := flag.String("user", "administrator@vsphere.local", "login user name")
	password := flag.String("password", "", "login password (required: a real check, wrong password = InvalidLogin)")
	dc := flag.Int("dc", 1, "datacenters")
	cluster := flag.Int("cluster", 1, "clusters per datacenter")
	clusterHost := flag.Int("host", 3, "hosts per cluster")
	standalone := flag.Int("standalone-host", 1, "standalone hosts per datacenter")
	vm := flag.Int("vm", 2, "VMs per resource pool (each cluster and each standalone host has one)")
	total := flag.Int("total-vms", 0, "total VM count (overrides -vm; extra VMs are destroyed)")
	ips := flag.String("guest-ips", "", "comma separated guest IP addresses, assigned round-robin to VMs")
	names := flag.String("guest-names", "", "comma separated guest host names, parallel to -guest-ips")
	offEvery := flag.Int("power-off-every", 5, "power off every Nth VM (0 = none)")
	noTLS := flag.Bool("no-tls", false, "serve plain HTTP")
	exitOnEOF := flag.Bool("exit-on-stdin-eof", false, "exit when stdin is closed (parent died)")
	_ = flag.String("tag", "", "ignored; names the process (ps) for the lab that started it")
	flag.Parse()

	if *password == "" {
		*password = os.Getenv("VCSIM_PASSWORD")
	}
	if *password == "" {
		fmt.Fprintln(os.Stderr, "vcsim: -password (or VCSIM_PASSWORD) is required")
		os.Exit(2)
	}

	model := simulator.VPX()
	model.Datacenter = *dc
	model.Cluster = *cluster
	model.ClusterHost = *clusterHost
	model.Host = *standalone
	model.Machine = *vm
	pools := *dc * (*cluster + *standalone)
	if *total > 0 {
		if pools < 1 {
			fmt.Fprintln(os.Stderr, "vcsim: -total-vms needs at least one cluster or standalone host")
			os.Exit(2)
		}
		model.Machine = (*total + pools - 1) / pools
	}

	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "vcsim: create:", err)
		os.Exit(1)
	}
	defer model.Remove()

	all := simulator.Map.All("VirtualMachine")
	if *total > 0 && len(all) > *total {
		// Remove the surplus VMs from the inventory (and from every list that names them).
		c := simulator.Map
		for _, e := range all[*total:] {
			v := e.(*simulator.VirtualMachine)
			c.Remove(v.Reference())
			if f, ok := c.Get(*v.Parent).(*simulator.Folder); ok {
				c.RemoveReference(f, &f.ChildEntity, v.Reference())
			}
			if p, ok := c.Get(*v.ResourcePool).(*simulator.ResourcePool); ok {
				c.RemoveReference(p, &p.Vm, v.Reference())
			}
			if h, ok := c.Get(*v.Runtime.Host).(*simulator.HostSystem); ok {
				c.RemoveReference(h, &h.Vm, v.Reference())
			}
			for _, ds := range v.Datastore {
				if d, ok := c.Get(ds).(*simulator.Datastore); ok {
					c.RemoveReference(d, &d.Vm, v.Reference())
				}
			}
			for _, n := range v.Network {
				if pg, ok := c.Get(n).(*simulator.DistributedVirtualPortgroup); ok {
					c.RemoveReference(pg, &pg.Vm, v.Reference())
				}
			}
		}
		all = simulator.Map.All("VirtualMachine")
	}

	ipList := splitList(*ips)
	nameList := splitList(*names)
	off := 0
	on := 0
	for i, e := range all {
		v := e.(*simulator.VirtualMachine)
		k := guestKinds[i%len(guestKinds)]
		v.Config.GuestId = k.id
		v.Config.GuestFullName = k.fullName
		v.Summary.Config.GuestId = k.id
		v.Summary.Config.GuestFullName = k.fullName
		v.Guest.GuestId = k.id
		v.Guest.GuestFullName = k.fullName
		v.Guest.GuestFamily = k.family
		v.Summary.Guest.GuestId = k.id
		v.Summary.Guest.GuestFullName = k.fullName
		poweredOff := *offEvery > 0 && i%*offEvery == *offEvery-1
		if poweredOff {
			off++
			v.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
			v.Summary.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOff
			v.Guest.GuestState = "notRunning"
			v.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
			v.Guest.IpAddress = ""
			v.Guest.HostName = ""
			v.Summary.Guest.IpAddress = ""
			v.Summary.Guest.HostName = ""
			for n := range v.Guest.Net {
				v.Guest.Net[n].IpAddress = nil
				v.Guest.Net[n].Connected = false
			}
			continue
		}
		// Guest addresses go round robin over the powered-on VMs only, so every lab address
		// appears on a running VM as soon as there are at least as many of them.
		host := fmt.Sprintf("%s.lab.invalid", strings.ToLower(v.Name))
		ip := ""
		if len(ipList) > 0 {
			ip = ipList[on%len(ipList)]
			if len(nameList) > 0 {
				host = nameList[on%len(nameList)]
			}
		}
		on++
		v.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOn
		v.Summary.Runtime.PowerState = types.VirtualMachinePowerStatePoweredOn
		v.Guest.GuestState = "running"
		v.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		v.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		v.Summary.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		v.Guest.HostName = host
		v.Summary.Guest.HostName = host
		v.Guest.IpAddress = ip
		v.Summary.Guest.IpAddress = ip
		if ip != "" {
			if len(v.Guest.Net) == 0 {
				v.Guest.Net = []types.GuestNicInfo{{Network: "VM Network", DeviceConfigId: 4000, MacAddress: "00:50:56:00:00:01"}}
			}
			v.Guest.Net[0].IpAddress = []string{ip}
			v.Guest.Net[0].Connected = true
		}
	}

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	fp := ""
	if !*noTLS {
		host, _, _ := net.SplitHostPort(*listen)
		cert, sum, err := selfSigned([]string{host, "127.0.0.1", "localhost"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "vcsim: certificate:", err)
			os.Exit(1)
		}
		model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
		fp = sum
	}
	server := model.Service.NewServer()
	defer server.Close()

	u := *server.URL
	u.User = nil
	out, _ := json.Marshal(map[string]interface{}{
		"url":               u.String(),
		"fingerprintSha256": fp,
		"vmCount":           len(all),
		"poweredOff":        off,
		"hosts":             len(simulator.Map.All("HostSystem")),
		"datacenters":       len(simulator.Map.All("Datacenter")),
		"clusters":          len(simulator.Map.All("ClusterComputeResource")),
		"pid":               os.Getpid(),
	})
	fmt.Println(string(out))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if *exitOnEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			sig <- syscall.SIGTERM
		}()
	}
	<-sig
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
