// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @notice What the settlement needs of a tranche token: the AGENT's mint and burn.
interface ITrancheToken {
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
}

/// @title DvpSettlement
/// @notice Delivery versus payment for tranche tokens against a stablecoin. Each subscription
/// in a batch moves the stablecoin from the investor to the issuer's treasury and mints the
/// tranche tokens to the investor; each redemption burns the holder's tokens and pays the
/// stablecoin from the treasury to the holder. A batch is one transaction: if any leg of any
/// item fails, nothing of the batch happens (both or neither). Only the gateway's signer (the
/// owner) settles, and every tranche token grants this contract its AGENT role.
contract DvpSettlement is Ownable {
    using SafeERC20 for IERC20;

    /// @notice An EIP-2612 permit the investor signed for this contract; deadline 0: none (a prior approve).
    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    struct Subscription {
        /// @notice The registry's id of the subscription, so the chain names what it settled.
        bytes32 id;
        address investor;
        uint256 amount;
        uint256 cost;
        Permit permit;
    }

    struct Redemption {
        bytes32 id;
        address holder;
        uint256 amount;
        uint256 payout;
    }

    event Subscribed(bytes32 indexed id, address indexed token, address indexed investor, uint256 amount, uint256 cost, address treasury);
    event Redeemed(bytes32 indexed id, address indexed token, address indexed holder, uint256 amount, uint256 payout, address treasury);

    constructor(address owner_) Ownable(owner_) {}

    function subscribeBatch(address token, IERC20 currency, address treasury, Subscription[] calldata items) external onlyOwner {
        for (uint256 i = 0; i < items.length; i++) {
            Subscription calldata s = items[i];
            if (s.permit.deadline != 0) {
                // A permit already used (someone relayed it first) leaves the allowance in place:
                // the transfer below decides, with the stablecoin's own error if it falls short.
                try IERC20Permit(address(currency)).permit(s.investor, address(this), s.permit.value, s.permit.deadline, s.permit.v, s.permit.r, s.permit.s) {} catch {}
            }
            currency.safeTransferFrom(s.investor, treasury, s.cost);
            ITrancheToken(token).mint(s.investor, s.amount);
            emit Subscribed(s.id, token, s.investor, s.amount, s.cost, treasury);
        }
    }

    function redeemBatch(address token, IERC20 currency, address treasury, Redemption[] calldata items) external onlyOwner {
        for (uint256 i = 0; i < items.length; i++) {
            Redemption calldata r = items[i];
            ITrancheToken(token).burn(r.holder, r.amount);
            if (r.payout > 0) currency.safeTransferFrom(treasury, r.holder, r.payout);
            emit Redeemed(r.id, token, r.holder, r.amount, r.payout, treasury);
        }
    }
}
