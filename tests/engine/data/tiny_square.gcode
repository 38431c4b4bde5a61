; A hand-written test print: two 0.2 mm layers of a 10 mm square, no heating so the virtual
; printer starts at once. The dwells (G4) make the print last about two seconds.
;FLAVOR:Marlin
;Filament used: 0.0264m
G21 ; millimetres
G90 ; absolute positions
M82 ; absolute extrusion
G28 ; home
G92 E0
G1 Z0.2 F600
G1 X10 Y10 F3000
G1 X20 Y10 E0.33 F1200
G4 P200
G1 X20 Y20 E0.66
G4 P200
G1 X10 Y20 E0.99
G4 P200
G1 X10 Y10 E1.32
G4 P200
G1 Z0.4 F600
G1 X20 Y10 E1.65 F1200
G4 P200
G1 X20 Y20 E1.98
G4 P200
G1 X10 Y20 E2.31
G4 P200
G1 X10 Y10 E2.64
G4 P200
G1 Z10 F600 ; lift off the part
M84 ; motors off
