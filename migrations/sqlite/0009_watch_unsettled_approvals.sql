-- Late approvals: an order whose approve went unanswered is watched until Kakao Pay reports a final status.
--
-- approval_watch is 'watching' from the moment an approve's outcome is unknown (its answer was lost, or
-- the order was found stuck in 'approving') until Kakao Pay reports a final status. If the order is closed
-- meanwhile (its hold ran out while Kakao Pay still said the buyer was paying), the reconciler keeps asking,
-- less and less often, so a payment Kakao Pay completes after the close is found and refunded.
-- 'given_up' marks an order it stopped asking about after days without a final status: an administrator
-- must look at it. NULL: no approve of this order is unaccounted for.
ALTER TABLE orders ADD COLUMN approval_watch TEXT CHECK (approval_watch IN ('watching', 'given_up'));
-- When the reconciler next asks Kakao Pay about a closed, watched order.
ALTER TABLE orders ADD COLUMN approval_watch_next_at INTEGER;

-- The reconciler's list of closed orders to ask about.
CREATE INDEX orders_approval_watch ON orders (approval_watch_next_at)
    WHERE status = 'abandoned' AND approval_watch = 'watching';
