//go:build !purego

#include "textflag.h"

// func addMulVVW(z, x []uint64, y uint64) (c uint64)
//
// z[i] += x[i]·y + carry for i < len(x), one word per iteration: MUL and
// UMULH give the product's halves, ADDS/ADC carry the sums into the high
// half, which becomes the next carry.
TEXT ·addMulVVW(SB), NOSPLIT, $0-64
	MOVD z_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	MOVD y+48(FP), R3
	MOVD $0, R4              // carry
	CBZ  R2, done

loop:
	MOVD.P 8(R1), R5         // x[i]
	MOVD   (R0), R6          // z[i]
	MUL    R5, R3, R7        // low half of x[i]·y
	UMULH  R5, R3, R8        // high half
	ADDS   R6, R7, R7
	ADC    ZR, R8, R8
	ADDS   R4, R7, R7
	ADC    ZR, R8, R4
	MOVD.P R7, 8(R0)
	SUB    $1, R2, R2
	CBNZ   R2, loop

done:
	MOVD R4, c+56(FP)
	RET
