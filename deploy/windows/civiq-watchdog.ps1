# CiviQ watchdog for the kiosk and display PCs (Windows).
# Started at logon by the scheduled task (civiq-kiosk-task.xml,
# civiq-display-task.xml); starts the program and starts it again 2 seconds
# after it ends for any reason (crash, killed, closed). Restarts are logged to
# %LOCALAPPDATA%\CiviQ\watchdog.log. docs/DEPLOY.md, "Windows kiosk and display".
#
#   powershell -NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden `
#     -File C:\CiviQ\deploy\civiq-watchdog.ps1 -Program C:\CiviQ\kiosk.exe `
#     -Arguments '--config C:\ProgramData\CiviQ\kiosk.json'
param(
  [Parameter(Mandatory = $true)][string]$Program,
  [string]$Arguments = ''
)
$logDir = Join-Path $env:LOCALAPPDATA 'CiviQ'
New-Item -ItemType Directory -Force -Path $logDir | Out-Null
$log = Join-Path $logDir 'watchdog.log'
$name = [IO.Path]::GetFileNameWithoutExtension($Program)
while ($true) {
  $started = Get-Date
  try {
    if ($Arguments) {
      $p = Start-Process -FilePath $Program -ArgumentList $Arguments -PassThru -Wait
    } else {
      $p = Start-Process -FilePath $Program -PassThru -Wait
    }
    $code = $p.ExitCode
  } catch {
    $code = "not started: $($_.Exception.Message)"
  }
  $ran = [int]((Get-Date) - $started).TotalSeconds
  Add-Content -Path $log -Value ("{0:u} {1} ended after {2}s (exit {3}); restarting in 2s" -f (Get-Date), $name, $ran, $code)
  Start-Sleep -Seconds 2
}
