"""Reading the State's vigilance: Vigicrues' flood vigilance by river section, Météo-France's weather vigilance by
département (as MeteoAlarm publishes it in CAP 1.2), and any CAP feed a deployment names. docs/vigilance.md."""
