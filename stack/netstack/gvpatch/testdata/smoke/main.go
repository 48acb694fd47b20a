// Command smoke runs a netstack stack in the hooked build with no hooks installed: stack.New
// with ipv4, tcp and udp, a NIC on a channel endpoint, one TCP and one UDP endpoint, then
// Destroy. It prints "ok" and the number of endpoint creation numbers drawn, the sites of the
// atomic accesses that one EndpointState call reports to installed hooks, and the number of
// live objects refs.SockfuzzTakeLive drains (one packet buffer leaked on purpose) and finds
// on a second call.
package main

import (
	"fmt"
	"strings"
	"unsafe"

	"gvisor.dev/gvisor/pkg/refs"
	"gvisor.dev/gvisor/pkg/sockfuzzhook"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// atomics records the sites of Atomic calls; any other hook panics (its embedded Hooks is
// nil), so it is installed only around code that takes no lock.
type atomics struct {
	sockfuzzhook.Hooks
	sites []string
}

func (a *atomics) Atomic(site string, _ unsafe.Pointer, _ bool) { a.sites = append(a.sites, site) }

func main() {
	refs.SetLeakMode(refs.LeaksLogWarning)
	sockfuzzhook.SetProcessors(2)
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	ep := channel.New(16, 1500, "")
	if err := s.CreateNIC(1, ep); err != nil {
		panic(fmt.Sprint("CreateNIC: ", err))
	}
	var wq1, wq2 waiter.Queue
	t, err := s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq1)
	if err != nil {
		panic(fmt.Sprint("tcp endpoint: ", err))
	}
	u, err := s.NewEndpoint(udp.ProtocolNumber, ipv4.ProtocolNumber, &wq2)
	if err != nil {
		panic(fmt.Sprint("udp endpoint: ", err))
	}
	a := &atomics{}
	sockfuzzhook.Install(a)
	t.(*tcp.Endpoint).EndpointState()
	sockfuzzhook.Uninstall()
	t.Close()
	u.Close()
	s.Destroy()
	ep.Close()
	_ = stack.NewPacketBuffer(stack.PacketBufferOptions{}) // leaked: never DecRef'd
	if d := tcpip.GetDanglingEndpoints(); len(d) > 0 {
		tcpip.ReleaseDanglingEndpoints()
	}
	live := refs.SockfuzzTakeLive()
	fmt.Println("ok", sockfuzzhook.NextID()-1, strings.Join(a.sites, ","), len(live), len(refs.SockfuzzTakeLive()))
}
