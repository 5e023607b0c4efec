*** Settings ***
Documentation     The built-in synthetic DI guitar through the firmware on ${TARGET}: the output is the
...               reference model's within the engine's bound, the engine fits the real-time budget,
...               and no block misses its deadline (issue #6).
Resource          m7amp.resource
Suite Setup       Play The Built-in Guitar
Suite Teardown    Close Target And Keep Its UART Log


*** Variables ***
${SECONDS}        1.0    # one second of audio: 48 000 engine calls, enough for 1500 blocks of 32


*** Test Cases ***
Should Match The Reference Model
    ESR Should Be Below

Should Fit The Real-Time Budget
    Cycles Per Sample Should Be Below    ${BUDGET_48K}

Should Not Miss A Deadline
    No Deadline Misses

Should Announce Its Model On The UART
    ${model}=    Model Name
    UART Should Contain    model=${model} precision=${PRECISION}

Should Write A Report Of The Run
    ${report}=    Write Run Report    ${OUTPUT DIR}/guitar/report.html
    File Should Exist    ${report}


*** Keywords ***
Play The Built-in Guitar
    Open Target With Firmware
    ${wav}=    Write Builtin Guitar Wav    ${OUTPUT DIR}/guitar/input.wav    ${SECONDS}
    Play Wav    ${wav}
