// Command smoke runs a netstack stack in the hooked build with no hooks installed: stack.New
// with ipv4, tcp and udp, a NIC on a channel endpoint, one TCP and one UDP endpoint, then
// Destroy. It prints "ok" and the number of endpoint creation numbers drawn.
package main

import (
	"fmt"

	"gvisor.dev/gvisor/pkg/sockfuzzhook"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

func main() {
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
	t.Close()
	u.Close()
	s.Destroy()
	ep.Close()
	fmt.Println("ok", sockfuzzhook.NextID()-1)
}
