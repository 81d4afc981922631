//go:build !purego

#include "textflag.h"

// func addMulVVW(z, x []uint64, y uint64) (c uint64)
//
// z[i] += x[i]·y + carry for i < len(x): MUL and UMULH give the product's
// halves, ADDS/ADC carry z[i] and the running carry into the high half,
// which becomes the next carry (x[i]·y + z[i] + carry < 2^128, so it
// fits). Four words per iteration with paired loads and stores, then one
// at a time.
TEXT ·addMulVVW(SB), NOSPLIT, $0-64
	MOVD z_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD x_len+32(FP), R2
	MOVD y+48(FP), R3
	MOVD $0, R4              // carry

loop4:
	CMP    $4, R2
	BLT    loop1
	LDP.P  16(R1), (R5, R6)  // x[i], x[i+1]
	LDP.P  16(R1), (R7, R8)  // x[i+2], x[i+3]
	LDP    (R0), (R9, R10)   // z[i], z[i+1]
	LDP    16(R0), (R11, R12)
	MUL    R5, R3, R13
	UMULH  R5, R3, R14
	ADDS   R9, R13, R13
	ADC    ZR, R14, R14
	ADDS   R4, R13, R13
	ADC    ZR, R14, R4
	MUL    R6, R3, R15
	UMULH  R6, R3, R19
	ADDS   R10, R15, R15
	ADC    ZR, R19, R19
	ADDS   R4, R15, R15
	ADC    ZR, R19, R4
	MUL    R7, R3, R20
	UMULH  R7, R3, R21
	ADDS   R11, R20, R20
	ADC    ZR, R21, R21
	ADDS   R4, R20, R20
	ADC    ZR, R21, R4
	MUL    R8, R3, R22
	UMULH  R8, R3, R23
	ADDS   R12, R22, R22
	ADC    ZR, R23, R23
	ADDS   R4, R22, R22
	ADC    ZR, R23, R4
	STP.P  (R13, R15), 16(R0)
	STP.P  (R20, R22), 16(R0)
	SUB    $4, R2, R2
	B      loop4

loop1:
	CBZ    R2, done
	MOVD.P 8(R1), R5         // x[i]
	MOVD   (R0), R6          // z[i]
	MUL    R5, R3, R7
	UMULH  R5, R3, R8
	ADDS   R6, R7, R7
	ADC    ZR, R8, R8
	ADDS   R4, R7, R7
	ADC    ZR, R8, R4
	MOVD.P R7, 8(R0)
	SUB    $1, R2, R2
	B      loop1

done:
	MOVD R4, c+56(FP)
	RET
