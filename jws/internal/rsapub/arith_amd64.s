//go:build !purego

#include "textflag.h"

// Both kernels compute z[i] += x[i]·y + carry for i < len(x) and return
// the last carry. The sum x[i]·y + z[i] + carry is below 2^128, so a carry
// always fits in a word.

// func addMulVVWMULQ(z, x []uint64, y uint64) (c uint64)
//
// Four words per iteration, then one at a time. z[i] is added to the
// product before the carry, so that only the last ADDQ/ADCQ pair of each
// word waits for the word before.
TEXT ·addMulVVWMULQ(SB), NOSPLIT, $0-64
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), R12
	MOVQ y+48(FP), R8
	XORQ CX, CX          // carry
	XORQ R9, R9          // i
	MOVQ R12, R10
	ANDQ $-4, R10        // i stops at len(x) rounded down to 4

mulq4:
	CMPQ R9, R10
	JAE  mulq1
	MOVQ (SI)(R9*8), AX
	MULQ R8
	ADDQ (DI)(R9*8), AX
	ADCQ $0, DX
	ADDQ CX, AX
	ADCQ $0, DX
	MOVQ AX, (DI)(R9*8)
	MOVQ DX, CX
	MOVQ 8(SI)(R9*8), AX
	MULQ R8
	ADDQ 8(DI)(R9*8), AX
	ADCQ $0, DX
	ADDQ CX, AX
	ADCQ $0, DX
	MOVQ AX, 8(DI)(R9*8)
	MOVQ DX, CX
	MOVQ 16(SI)(R9*8), AX
	MULQ R8
	ADDQ 16(DI)(R9*8), AX
	ADCQ $0, DX
	ADDQ CX, AX
	ADCQ $0, DX
	MOVQ AX, 16(DI)(R9*8)
	MOVQ DX, CX
	MOVQ 24(SI)(R9*8), AX
	MULQ R8
	ADDQ 24(DI)(R9*8), AX
	ADCQ $0, DX
	ADDQ CX, AX
	ADCQ $0, DX
	MOVQ AX, 24(DI)(R9*8)
	MOVQ DX, CX
	ADDQ $4, R9
	JMP  mulq4

mulq1:
	CMPQ R9, R12
	JAE  mulqdone
	MOVQ (SI)(R9*8), AX
	MULQ R8
	ADDQ (DI)(R9*8), AX
	ADCQ $0, DX
	ADDQ CX, AX
	ADCQ $0, DX
	MOVQ AX, (DI)(R9*8)
	MOVQ DX, CX
	INCQ R9
	JMP  mulq1

mulqdone:
	MOVQ CX, c+56(FP)
	RET

// func addMulVVWADX(z, x []uint64, y uint64) (c uint64)
//
// BMI2's MULX leaves the flags alone, so two carry chains run side by
// side: ADCX (CF) adds the previous word's high half, ADOX (OF) adds z[i].
// Nothing between the first word and the last may write the flags, so
// the loops count with LEAQ and test with JCXZQ, neither of which does:
// first len(x) mod 8 words one at a time, then eight per iteration. The
// two pending carries are folded into the last high half at the end; that
// sum is the true carry and so cannot overflow.
TEXT ·addMulVVWADX(SB), NOSPLIT, $0-64
	MOVQ z_base+0(FP), DI
	MOVQ x_base+24(FP), SI
	MOVQ x_len+32(FP), R12
	MOVQ y+48(FP), DX    // MULX multiplies by DX
	MOVQ R12, R13
	SHRQ $3, R13         // iterations of eight
	ANDQ $7, R12         // words before them
	XORQ BX, BX          // carry; also clears CF and OF
	XORQ R11, R11        // zero, to fold the flags
	MOVQ R12, CX

adx1:
	JCXZQ adx8start
	MULXQ (SI), R8, R10
	ADCXQ BX, R8
	ADOXQ (DI), R8
	MOVQ  R8, (DI)
	MOVQ  R10, BX
	LEAQ  8(SI), SI
	LEAQ  8(DI), DI
	LEAQ  -1(CX), CX
	JMP   adx1

adx8start:
	MOVQ R13, CX

adx8test:
	JCXZQ adxdone        // JCXZQ reaches only 127 bytes: the body is below
	JMP   adx8

adxdone:
	ADCXQ R11, BX
	ADOXQ R11, BX
	MOVQ  BX, c+56(FP)
	RET

adx8:
	MULXQ (SI), R8, R10
	ADCXQ BX, R8
	ADOXQ (DI), R8
	MOVQ  R8, (DI)
	MULXQ 8(SI), R8, BX
	ADCXQ R10, R8
	ADOXQ 8(DI), R8
	MOVQ  R8, 8(DI)
	MULXQ 16(SI), R8, R10
	ADCXQ BX, R8
	ADOXQ 16(DI), R8
	MOVQ  R8, 16(DI)
	MULXQ 24(SI), R8, BX
	ADCXQ R10, R8
	ADOXQ 24(DI), R8
	MOVQ  R8, 24(DI)
	MULXQ 32(SI), R8, R10
	ADCXQ BX, R8
	ADOXQ 32(DI), R8
	MOVQ  R8, 32(DI)
	MULXQ 40(SI), R8, BX
	ADCXQ R10, R8
	ADOXQ 40(DI), R8
	MOVQ  R8, 40(DI)
	MULXQ 48(SI), R8, R10
	ADCXQ BX, R8
	ADOXQ 48(DI), R8
	MOVQ  R8, 48(DI)
	MULXQ 56(SI), R8, BX
	ADCXQ R10, R8
	ADOXQ 56(DI), R8
	MOVQ  R8, 56(DI)
	LEAQ  64(SI), SI
	LEAQ  64(DI), DI
	LEAQ  -1(CX), CX
	JMP   adx8test

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET
