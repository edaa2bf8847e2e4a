// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title RevenueDistributor
/// @notice Pays the revenue of a data asset, as the offering's tranche waterfall shared it out,
/// in a stablecoin from the issuer's treasury to the tranche token holders, each payout exactly
/// once. Two ways to pay one distribution:
/// - push: the gateway's signer (the owner) declares the distribution with its per-tranche
///   totals, then pays it in batches; a batch is one transaction, so a batch with any payout
///   already paid, or a treasury that cannot pay every item, moves nothing (both or neither);
/// - pull: the owner declares a Merkle root of (tranche, holder, amount) leaves; anyone may then
///   submit a holder's claim with its proof, and the money goes to the holder only.
/// The treasury approves this contract for the stablecoin; the contract never holds money.
contract RevenueDistributor is Ownable {
    using SafeERC20 for IERC20;

    struct Payout {
        /// @notice The registry's id of the payout, so the chain names what it paid and pays it once.
        bytes32 payoutId;
        address tranche;
        address holder;
        uint256 amount;
    }

    struct Distribution {
        IERC20 currency;
        /// @notice Paid by claims against `root` rather than by the owner's batches.
        bool pull;
        address treasury;
        bytes32 root;
        /// @notice What is still to pay: no batch or claim may pay more than was declared.
        uint256 remaining;
    }

    error DistributionExists(bytes32 distributionId);
    error UnknownDistribution(bytes32 distributionId);
    /// @notice The batch names another currency or treasury than the declaration, or pushes to a pull distribution (or claims from a push one).
    error DistributionMismatch(bytes32 distributionId);
    error TrancheTotalsMismatch(uint256 tranches, uint256 totals);
    error ExceedsDeclared(bytes32 distributionId, uint256 remaining, uint256 requested);
    error AlreadyPaid(bytes32 payoutId);
    error InvalidProof(bytes32 distributionId, address tranche, address holder, uint256 amount);

    /// @notice `root` is zero for a push distribution; `tranches` and `trancheTotals` are empty for a pull one (its tree holds them).
    event DistributionDeclared(
        bytes32 indexed distributionId,
        address indexed currency,
        address treasury,
        uint256 total,
        uint256 holders,
        bytes32 root,
        address[] tranches,
        uint256[] trancheTotals
    );
    event DistributionPaid(bytes32 indexed distributionId, address indexed tranche, address indexed holder, uint256 amount, bytes32 payoutId);

    mapping(bytes32 => Distribution) public distributions;
    /// @notice Payout ids paid (push: the registry's ids; pull: `claimId(distributionId, tranche, holder)`).
    mapping(bytes32 => bool) public paid;

    constructor(address owner_) Ownable(owner_) {}

    /// @notice Declares a push distribution of `sum(trancheTotals)` paid to `holders` holders of `tranches`.
    function declare(
        bytes32 distributionId,
        IERC20 currency,
        address treasury,
        uint256 holders,
        address[] calldata tranches,
        uint256[] calldata trancheTotals
    ) external onlyOwner {
        if (tranches.length != trancheTotals.length) revert TrancheTotalsMismatch(tranches.length, trancheTotals.length);
        uint256 total = 0;
        for (uint256 i = 0; i < trancheTotals.length; i++) total += trancheTotals[i];
        _declare(distributionId, Distribution(currency, false, treasury, bytes32(0), total));
        emit DistributionDeclared(distributionId, address(currency), treasury, total, holders, bytes32(0), tranches, trancheTotals);
    }

    /// @notice Declares a pull distribution: `total` over the leaves of `root`, `holders` of them.
    function declareMerkle(bytes32 distributionId, IERC20 currency, address treasury, bytes32 root, uint256 total, uint256 holders)
        external
        onlyOwner
    {
        _declare(distributionId, Distribution(currency, true, treasury, root, total));
        emit DistributionDeclared(distributionId, address(currency), treasury, total, holders, root, new address[](0), new uint256[](0));
    }

    /// @notice Pays every item from the treasury, or none: a payout id already paid reverts the batch with AlreadyPaid.
    function payBatch(bytes32 distributionId, IERC20 currency, address treasury, Payout[] calldata items) external onlyOwner {
        Distribution storage d = _distribution(distributionId);
        if (d.pull || d.currency != currency || d.treasury != treasury) revert DistributionMismatch(distributionId);
        uint256 sum = 0;
        for (uint256 i = 0; i < items.length; i++) {
            Payout calldata p = items[i];
            // Defence in depth: the gateway's write pipeline already sends one transaction per
            // nonce; this makes a payout re-sent in another transaction revert instead of paying twice.
            if (paid[p.payoutId]) revert AlreadyPaid(p.payoutId);
            paid[p.payoutId] = true;
            sum += p.amount;
            currency.safeTransferFrom(treasury, p.holder, p.amount);
            emit DistributionPaid(distributionId, p.tranche, p.holder, p.amount, p.payoutId);
        }
        _spend(d, distributionId, sum);
    }

    /// @notice Pays a holder's leaf of a pull distribution to the holder, once; anyone may submit it.
    function claim(bytes32 distributionId, address tranche, address holder, uint256 amount, bytes32[] calldata proof) external {
        Distribution storage d = _distribution(distributionId);
        if (!d.pull) revert DistributionMismatch(distributionId);
        // The leaf as OpenZeppelin's StandardMerkleTree hashes it (double hash: no leaf can pass for an inner node).
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(tranche, holder, amount))));
        if (!MerkleProof.verifyCalldata(proof, d.root, leaf)) revert InvalidProof(distributionId, tranche, holder, amount);
        bytes32 id = claimId(distributionId, tranche, holder);
        if (paid[id]) revert AlreadyPaid(id);
        paid[id] = true;
        _spend(d, distributionId, amount);
        d.currency.safeTransferFrom(d.treasury, holder, amount);
        emit DistributionPaid(distributionId, tranche, holder, amount, id);
    }

    /// @notice The payout id of a claim: one leaf per (tranche, holder) in a distribution's tree.
    function claimId(bytes32 distributionId, address tranche, address holder) public pure returns (bytes32) {
        return keccak256(abi.encode(distributionId, tranche, holder));
    }

    function _declare(bytes32 distributionId, Distribution memory d) private {
        if (address(distributions[distributionId].currency) != address(0)) revert DistributionExists(distributionId);
        distributions[distributionId] = d;
    }

    function _distribution(bytes32 distributionId) private view returns (Distribution storage d) {
        d = distributions[distributionId];
        if (address(d.currency) == address(0)) revert UnknownDistribution(distributionId);
    }

    function _spend(Distribution storage d, bytes32 distributionId, uint256 amount) private {
        uint256 remaining = d.remaining;
        if (amount > remaining) revert ExceedsDeclared(distributionId, remaining, amount);
        d.remaining = remaining - amount;
    }
}
