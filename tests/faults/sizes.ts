// How big the fault campaign is in `npm test` and by default in `npm run test:faults`: enough seeds that every
// fault kind runs at least twice (alone, and some in pairs), small enough for CI.
export const CI_CAMPAIGN_RUNS = 63;
