//go:build !purego

#include "textflag.h"

// The ADX row, shared by addMulVVWADX, redcRowsADX and sqrRowsADX. With
// the multiplier in DX, the row's carry in BX, CX counting, SI on x and DI
// on z: ADXSTEP1 does one word, ADXROW8 eight. MULX leaves the flags
// alone, ADCX carries the previous high half (CF), ADOX adds z[i] (OF),
// and the LEAQs that advance the pointers and the count write no flags,
// so both chains run from a row's first word to its last.
#define ADXWORD(off, hi, prev) \
	MULXQ off(SI), R8, hi; \
	ADCXQ prev, R8;        \
	ADOXQ off(DI), R8;     \
	MOVQ  R8, off(DI)

#define ADXROW8 \
	ADXWORD(0, R10, BX);  ADXWORD(8, BX, R10);  \
	ADXWORD(16, R10, BX); ADXWORD(24, BX, R10); \
	ADXWORD(32, R10, BX); ADXWORD(40, BX, R10); \
	ADXWORD(48, R10, BX); ADXWORD(56, BX, R10); \
	LEAQ 64(SI), SI; LEAQ 64(DI), DI; LEAQ -1(CX), CX

#define ADXSTEP1 \
	ADXWORD(0, R10, BX); MOVQ R10, BX; \
	LEAQ 8(SI), SI; LEAQ 8(DI), DI; LEAQ -1(CX), CX

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
	ADXSTEP1
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
	ADXROW8
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

// func redcRowsADX(t, m []uint64, m0inv uint64) (carry uint64)
//
// The rows of a Montgomery reduction in one call: for i < n = len(m),
// q = t[i]·m0inv, t[i:i+n] += m·q (addMulVVWADX's row, inlined), then
// t[i+n] += the row's carry and the pending carry; returns the last
// pending carry (0 or 1). A call per row cost about 4 ns, a fifth of
// an RSA-2048 verification. The row counters live in the frame, as every
// register but BP, R14 and R15 is taken.
TEXT ·redcRowsADX(SB), NOSPLIT, $32-64
	MOVQ t_base+0(FP), R9    // &t[i]
	MOVQ m_base+24(FP), AX
	MOVQ m_len+32(FP), R12
	MOVQ $0, carry+56(FP)
	TESTQ R12, R12
	JZ   rnone               // no rows: the loop below runs at least once
	MOVQ m0inv+48(FP), R8
	MOVQ R8, inv-8(SP)
	MOVQ R12, rows-16(SP)
	MOVQ $0, pending-24(SP)
	MOVQ R12, R13
	SHRQ $3, R13             // iterations of eight per row
	ANDQ $7, R12             // words before them
	XORQ R11, R11            // zero, to fold the flags

row:
	MOVQ  (R9), DX
	IMULQ inv-8(SP), DX      // q; MULX multiplies by DX
	MOVQ  R9, DI
	MOVQ  AX, SI
	XORQ  BX, BX             // the row's carry; also clears CF and OF
	MOVQ  R12, CX

rem:
	JCXZQ eightstart
	ADXSTEP1
	JMP   rem

eightstart:
	MOVQ R13, CX

eighttest:
	JCXZQ rowdone
	JMP   eight

rowdone:
	ADCXQ R11, BX
	ADOXQ R11, BX
	// DI is &t[i+n]: t[i+n] += BX + pending. The sum is below 2^65, so
	// the new pending carry is 0 or 1.
	MOVQ (DI), R10
	MOVQ pending-24(SP), R8
	ADDQ R8, R10
	MOVQ $0, R8
	ADCQ $0, R8
	ADDQ BX, R10
	ADCQ $0, R8
	MOVQ R10, (DI)
	MOVQ R8, pending-24(SP)
	LEAQ 8(R9), R9
	DECQ rows-16(SP)
	JNZ  row
	MOVQ pending-24(SP), R8
	MOVQ R8, carry+56(FP)

rnone:
	RET

eight:
	ADXROW8
	JMP   eighttest

// func sqrRowsADX(t, x []uint64)
//
// The cross products of a square in one call: for i < n−1 (n = len(x)),
// t[2i+1 : i+n] += x[i+1:]·x[i] (addMulVVWADX's row, inlined) and
// t[i+n] = the row's carry; t[:2n] must be zero on entry, as sqr leaves
// it. Rows shrink by one word each, so each computes its own counts.
TEXT ·sqrRowsADX(SB), NOSPLIT, $0-48
	MOVQ t_base+0(FP), AX
	ADDQ $8, AX              // &t[2i+1]
	MOVQ x_base+24(FP), R9   // &x[i]
	MOVQ x_len+32(FP), R12
	DECQ R12                 // the row's length, n−1−i
	XORQ R11, R11            // zero, to fold the flags

srow:
	CMPQ R12, $0
	JLE  sdone
	MOVQ (R9), DX            // x[i]; MULX multiplies by DX
	LEAQ 8(R9), SI
	MOVQ AX, DI
	MOVQ R12, R13
	SHRQ $3, R13             // iterations of eight
	MOVQ R12, CX
	ANDQ $7, CX              // words before them
	XORQ BX, BX              // the row's carry; also clears CF and OF

srem:
	JCXZQ seightstart
	ADXSTEP1
	JMP   srem

seightstart:
	MOVQ R13, CX

seighttest:
	JCXZQ srowdone
	JMP   seight

srowdone:
	ADCXQ R11, BX
	ADOXQ R11, BX
	MOVQ  BX, (DI)           // DI is &t[i+n]
	LEAQ  8(R9), R9
	LEAQ  16(AX), AX
	DECQ  R12
	JMP   srow

sdone:
	RET

seight:
	ADXROW8
	JMP   seighttest
