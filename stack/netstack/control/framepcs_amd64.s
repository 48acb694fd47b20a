#include "go_asm.h"
#include "textflag.h"

// func framePCs(buf *callerKey)
//
// framePCs walks the frame-pointer chain from its caller, storing each frame's return address
// in buf until buf is full or the chain ends (a zero frame pointer). It has no frame of its
// own, so BP is its caller's frame pointer (or that of the ABI wrapper between them, the same
// in every call). It makes no call and has no safe point: the stack cannot move under it.
TEXT ·framePCs(SB), NOSPLIT, $0-8
	MOVQ buf+0(FP), DI
	MOVQ BP, AX
	XORQ CX, CX

loop:
	CMPQ CX, $const_keyFrames
	JGE  done
	TESTQ AX, AX
	JZ   done
	MOVQ 8(AX), DX
	MOVQ DX, (DI)(CX*8)
	MOVQ 0(AX), AX
	INCQ CX
	JMP  loop

done:
	RET
