// The one clock of a center. It is given when a center is opened, so that
// tests (and the scheduler) decide what "now" is; nothing below the facade
// calls `new Date()` for the time of an event.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
