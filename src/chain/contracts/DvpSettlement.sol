// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @notice What the settlement needs of a tranche token: the AGENT's mint and burn.
interface ITrancheToken {
    function mint(address to, uint256 amount) external;
    function burn(address from, uint256 amount) external;
    function venueTransfer(bytes32 venueId, address from, address to, uint256 amount) external;
}

/// @title DvpSettlement
/// @notice Delivery versus payment for tranche tokens against a stablecoin. Each subscription
/// in a batch moves the stablecoin from the investor to the issuer's treasury and mints the
/// tranche tokens to the investor; each redemption burns the holder's tokens and pays the
/// stablecoin from the treasury to the holder. A batch is one transaction: if any leg of any
/// item fails, nothing of the batch happens (both or neither). Only the gateway's signer (the
/// owner) settles, and every tranche token grants this contract its AGENT role.
///
/// A venue trade (`settleTrade`) is the secondary market's DvP: the buyer pays the seller in
/// the stablecoin and the seller's tokens move to the buyer under the token's circulation
/// rules with the venue's context, in one transaction. Both parties sign the trade (EIP-712,
/// an EOA's signature or an ERC-1271 wallet's), so the gateway can settle only what they agreed.
contract DvpSettlement is Ownable, EIP712 {
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

    /// @notice A secondary trade as both parties sign it: `amount` tranche-token base units for `price` stablecoin base units.
    struct Trade {
        /// @notice The registry's id of the trade: settled at most once.
        bytes32 tradeId;
        /// @notice The venue the trade was matched on (admitted on the token, see DataAssetToken.setVenue).
        bytes32 venueId;
        address token;
        address seller;
        address buyer;
        uint256 amount;
        address currency;
        uint256 price;
        /// @notice Unix seconds after which the signatures no longer settle anything.
        uint256 deadline;
    }

    bytes32 public constant TRADE_TYPEHASH = keccak256(
        "Trade(bytes32 tradeId,bytes32 venueId,address token,address seller,address buyer,uint256 amount,address currency,uint256 price,uint256 deadline)"
    );

    /// @notice Trades settled, by trade id: a replayed trade (same id, same signatures) is refused.
    mapping(bytes32 => bool) public tradeSettled;

    event TradeSettled(
        bytes32 indexed tradeId,
        bytes32 indexed venueId,
        address indexed token,
        address seller,
        address buyer,
        uint256 amount,
        address currency,
        uint256 price
    );

    error InvalidTradeSignature(address signer);
    error TradeExpired(uint256 deadline);
    error TradeAlreadySettled(bytes32 tradeId);

    constructor(address owner_) Ownable(owner_) EIP712("DvpSettlement", "1") {}

    /// @notice The EIP-712 digest a party signs for `trade`.
    function tradeDigest(Trade calldata trade) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(TRADE_TYPEHASH, trade)));
    }

    /// @notice Settles a trade both parties signed: the price from buyer to seller, the tokens from seller to buyer.
    /// Either leg failing (a short balance or allowance, a circulation rule) reverts both.
    function settleTrade(Trade calldata trade, bytes calldata sellerSignature, bytes calldata buyerSignature) external onlyOwner {
        if (block.timestamp > trade.deadline) revert TradeExpired(trade.deadline);
        if (tradeSettled[trade.tradeId]) revert TradeAlreadySettled(trade.tradeId);
        bytes32 digest = tradeDigest(trade);
        if (!SignatureChecker.isValidSignatureNow(trade.seller, digest, sellerSignature)) revert InvalidTradeSignature(trade.seller);
        if (!SignatureChecker.isValidSignatureNow(trade.buyer, digest, buyerSignature)) revert InvalidTradeSignature(trade.buyer);
        // Marked before the external calls: neither the stablecoin nor the token can re-enter to settle it twice.
        tradeSettled[trade.tradeId] = true;
        if (trade.price > 0) IERC20(trade.currency).safeTransferFrom(trade.buyer, trade.seller, trade.price);
        ITrancheToken(trade.token).venueTransfer(trade.venueId, trade.seller, trade.buyer, trade.amount);
        emit TradeSettled(trade.tradeId, trade.venueId, trade.token, trade.seller, trade.buyer, trade.amount, trade.currency, trade.price);
    }

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
