/*
 * ui/ internal: the look of civictv's screens, in one place.
 *
 * The palette keeps every channel within 16..235 (studio range, ITU-R
 * BT.601) so that nothing is clipped or blooms on a television, and the
 * geometry keeps everything but the background inside the graphics-safe
 * area of EBU R95 (x 36..684, y 29..547 on 720x576).  The screen tests
 * (tests/test_ui_screens.c) check pixels against these values.
 */
#ifndef UI_THEME_H
#define UI_THEME_H

/* ---- the palette (0xRRGGBB, channels within 16..235) ---- */
#define C_BACKGROUND 0x121E34u
#define C_HEADER     0x1C3052u
#define C_STRIPE     0x1896A0u
#define C_ROW        0x1A2A46u
#define C_FOCUS      0x1E64BEu
#define C_FOCUS_TAB  0xEBC31Eu
#define C_CHIP       0x2A3F66u
#define C_CHIP_TEXT  0xD2DAE6u
#define C_TEXT       0xEBEBEBu
#define C_MUTED      0xA8B6CCu
#define C_HEADING    0xEBCD5Au
#define C_BULLET     0x3CB4BEu
#define C_KEYBAR     0x101A2Eu
#define C_KEYCAP     0x3A4E72u
#define C_TRACK      0x26375Au
#define C_THUMB      0x8CA0C0u
#define C_WARN       0xEBC31Eu
#define C_DARK_TEXT  0x141414u
#define C_RED        0xC8281Eu
#define C_GREEN      0x1EA03Cu
#define C_YELLOW     0xEBC31Eu
#define C_BLUE       0x1E50C8u
#define C_FIELD      0x101828u

/* The high-contrast theme: near-black, near-white and one yellow. */
#define HC_BACKGROUND 0x101010u
#define HC_PANEL      0x262626u
#define HC_CAP        0x4A4A4Au
#define HC_TEXT       0xEBEBEBu
#define HC_FOCUS      0xEBE11Eu
#define HC_FOCUS_TAB  0xEBEBEBu
#define HC_DARK       0x101010u

/* ---- geometry ---- */
#define SAFE_X0 36
#define SAFE_X1 684
#define SAFE_Y0 29
#define SAFE_Y1 547
#define CONTENT_X0 56                   /* content left */
#define CONTENT_X1 664                  /* content right */
#define HEADER_Y0 SAFE_Y0
#define HEADER_Y1 117
#define STRIPE_H 4
#define BODY_Y0 136
#define BODY_Y1 495
#define KEYBAR_Y0 503
#define KEYBAR_Y1 SAFE_Y1
#define ROW_H 44
#define ROW_PITCH 50
#define SCROLL_W 8
#define LINE_H 30               /* body text: 24 px on a 30 px line */
#define HEADING_H 38
#define GAP_H 12
#define BULLET_INDENT 28

/* Large-text mode: 32 px body text on a 40 px line. */
#define LINE_H_L 40
#define HEADING_H_L 48
#define ROW_H_L 54
#define ROW_PITCH_L 60
#define BULLET_INDENT_L 36

/* The "Press red" prompt over the programme. */
#define PROMPT_Y0 471

#endif
