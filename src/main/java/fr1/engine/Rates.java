package fr1.engine;

/** A transfer rate smoothed over the last few seconds, so an ETA follows a steady load within a few percent. */
final class Rates {

    private static final double HORIZON_NANOS = 5e9;

    private Rates() {
    }

    /**
     * @param rate       the smoothed rate so far (bytes per second), 0 at the start
     * @param bytes      bytes moved since the last update
     * @param nanos      time since the last update
     */
    static double update(double rate, long bytes, long nanos) {
        if (nanos <= 0) {
            return rate;
        }
        double now = bytes * 1e9 / nanos;
        if (rate == 0) {
            return now;
        }
        double w = Math.min(1.0, nanos / HORIZON_NANOS);
        return rate + (now - rate) * w;
    }
}
