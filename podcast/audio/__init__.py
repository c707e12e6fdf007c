"""Stage 3, audio: analyse each segment, lay out the timeline, render and measure."""
