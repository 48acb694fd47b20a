// Package stack will hold the model DragonFly BSD socket stack: sockets, sockbufs, accept queues,
// protocol threads, TCP and UDP, running on the execution substrate in stack/sched.
package stack
