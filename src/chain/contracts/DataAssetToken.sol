// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Pausable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Pausable.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title DataAssetToken
/// @notice A permissioned ERC-20 in the spirit of ERC-3643: tokens move only between
/// whitelisted (verified) and unfrozen identities. The constructor anchors which registry
/// entry the token stands for, so anyone can check it on chain.
///
/// Circulation rules (set by the AGENT, see `setTransferRules`) govern holders' own transfers
/// and venue trades, never the AGENT's mints, burns and recovery (`forcedTransfer`): the
/// receiver's country (allow and block lists) and investor class (who may buy on the secondary
/// market, and who only through an admitted venue), a cap on the number of holders, a cap on
/// a holder's balance, a lock-up until a time, partial freezes. A refused transfer reverts
/// with the custom error of its first restriction; `detectTransferRestriction` (ERC-1404) and
/// `canTransfer` (ERC-7943) answer the same verdict without sending.
contract DataAssetToken is ERC20, ERC20Pausable, AccessControl {
    bytes32 public constant AGENT_ROLE = keccak256("AGENT_ROLE");

    /// @notice Restriction codes (ERC-1404): 0 is none; each other code has its custom error.
    uint8 public constant NO_RESTRICTION = 0;
    uint8 public constant PAUSED = 1;
    uint8 public constant SENDER_NOT_WHITELISTED = 2;
    uint8 public constant RECEIVER_NOT_WHITELISTED = 3;
    uint8 public constant SENDER_FROZEN = 4;
    uint8 public constant RECEIVER_FROZEN = 5;
    uint8 public constant LOCKED_UP = 6;
    uint8 public constant INSUFFICIENT_BALANCE = 7;
    uint8 public constant AMOUNT_FROZEN = 8;
    uint8 public constant VENUE_NOT_ADMITTED = 9;
    uint8 public constant COUNTRY_BLOCKED = 10;
    uint8 public constant COUNTRY_NOT_ALLOWED = 11;
    uint8 public constant INVESTOR_CLASS_NOT_ALLOWED = 12;
    uint8 public constant HOLDER_LIMIT_REACHED = 13;
    uint8 public constant BALANCE_LIMIT_EXCEEDED = 14;

    /// @notice Investor classes as stored per wallet; a class mask has bit (1 << class) set for each class it admits.
    uint8 public constant CLASS_UNSPECIFIED = 0;
    uint8 public constant CLASS_PROFESSIONAL = 1;
    uint8 public constant CLASS_INSTITUTIONAL = 2;
    uint8 public constant CLASS_RETAIL = 3;

    /// @notice Registry id of the data asset (a UUID as a string).
    string public assetId;
    /// @notice sha256 of the asset's canonical data bundle.
    bytes32 public contentDigest;
    /// @notice sha256 of the offering terms this tranche belongs to.
    bytes32 public offeringTermsDigest;

    mapping(address => bool) public isWhitelisted;
    mapping(address => bool) public isFrozen;
    /// @notice ISO 3166-1 alpha-2 country of each whitelisted wallet ("SG" as bytes2).
    mapping(address => bytes2) public countryOf;
    mapping(address => uint8) public investorClassOf;
    /// @notice Tokens of a holder that may not move (a partial freeze), at most its balance in effect.
    mapping(address => uint256) public frozenAmount;
    mapping(bytes32 => bool) public venueAdmitted;
    /// @notice Addresses holding a non-zero balance.
    uint256 public holderCount;

    /// @notice No holder transfers before this time (unix seconds); 0: none.
    uint64 public lockUntil;
    /// @notice Most holders; 0: no cap.
    uint32 public maxHolders;
    /// @notice Most tokens one holder may reach by a transfer; 0: no cap.
    uint256 public maxBalance;
    /// @notice Classes that may receive a holder's transfer (default: any).
    uint8 public secondaryClasses = type(uint8).max;
    /// @notice Classes that may also receive through an admitted venue's trade.
    uint8 public venueClasses;
    bytes2[] private _allowedCountries;
    bytes2[] private _blockedCountries;

    /// @dev The venue of the trade being settled (set by venueTransfer for its own duration).
    bytes32 private transient _venue;

    event AssetAnchored(string assetId, bytes32 contentDigest, bytes32 offeringTermsDigest);
    event WhitelistUpdated(address indexed account, bool whitelisted);
    event AddressFrozen(address indexed account, bool frozen);
    event IdentityUpdated(address indexed account, bytes2 country, uint8 investorClass);
    event TokensFrozen(address indexed account, uint256 amount);
    event VenueUpdated(bytes32 indexed venueId, bool admitted);
    event TransferRulesUpdated(
        uint64 lockUntil,
        uint32 maxHolders,
        uint256 maxBalance,
        uint8 secondaryClasses,
        uint8 venueClasses,
        bytes2[] allowedCountries,
        bytes2[] blockedCountries
    );
    event VenueTrade(bytes32 indexed venueId, address indexed from, address indexed to, uint256 amount);

    error NotWhitelisted(address account);
    error AccountFrozen(address account);
    error BatchLengthMismatch(uint256 recipients, uint256 amounts);
    error TransferLocked(uint64 until);
    error InsufficientUnfrozenBalance(address account, uint256 unfrozen, uint256 amount);
    error VenueNotAdmitted(bytes32 venueId);
    error CountryBlocked(address account, bytes2 country);
    error CountryNotAllowed(address account, bytes2 country);
    error InvestorClassNotAllowed(address account, uint8 investorClass);
    error HolderLimitReached(uint32 maxHolders);
    error BalanceLimitExceeded(address account, uint256 balanceAfter, uint256 maxBalance);

    constructor(
        string memory name_,
        string memory symbol_,
        string memory assetId_,
        bytes32 contentDigest_,
        bytes32 offeringTermsDigest_,
        address admin,
        address settlement
    ) ERC20(name_, symbol_) {
        assetId = assetId_;
        contentDigest = contentDigest_;
        offeringTermsDigest = offeringTermsDigest_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(AGENT_ROLE, admin);
        // The DvP settlement contract mints against payment, burns against payout and settles venue trades; zero: none.
        if (settlement != address(0)) _grantRole(AGENT_ROLE, settlement);
        emit AssetAnchored(assetId_, contentDigest_, offeringTermsDigest_);
    }

    function setWhitelisted(address account, bool whitelisted) external onlyRole(AGENT_ROLE) {
        isWhitelisted[account] = whitelisted;
        emit WhitelistUpdated(account, whitelisted);
    }

    /// @notice Whitelists a wallet with the country and investor class the circulation rules read.
    function whitelistIdentity(address account, bytes2 country, uint8 investorClass) external onlyRole(AGENT_ROLE) {
        isWhitelisted[account] = true;
        countryOf[account] = country;
        investorClassOf[account] = investorClass;
        emit WhitelistUpdated(account, true);
        emit IdentityUpdated(account, country, investorClass);
    }

    function setFrozen(address account, bool frozen) external onlyRole(AGENT_ROLE) {
        isFrozen[account] = frozen;
        emit AddressFrozen(account, frozen);
    }

    /// @notice Freezes `amount` of the holder's tokens (replacing any earlier partial freeze; 0 lifts it).
    function setFrozenAmount(address account, uint256 amount) external onlyRole(AGENT_ROLE) {
        frozenAmount[account] = amount;
        emit TokensFrozen(account, amount);
    }

    function setVenue(bytes32 venueId, bool admitted) external onlyRole(AGENT_ROLE) {
        venueAdmitted[venueId] = admitted;
        emit VenueUpdated(venueId, admitted);
    }

    /// @notice Replaces every circulation rule at once (the country lists included).
    function setTransferRules(
        uint64 lockUntil_,
        uint32 maxHolders_,
        uint256 maxBalance_,
        uint8 secondaryClasses_,
        uint8 venueClasses_,
        bytes2[] calldata allowedCountries_,
        bytes2[] calldata blockedCountries_
    ) external onlyRole(AGENT_ROLE) {
        lockUntil = lockUntil_;
        maxHolders = maxHolders_;
        maxBalance = maxBalance_;
        secondaryClasses = secondaryClasses_;
        venueClasses = venueClasses_;
        _allowedCountries = allowedCountries_;
        _blockedCountries = blockedCountries_;
        emit TransferRulesUpdated(lockUntil_, maxHolders_, maxBalance_, secondaryClasses_, venueClasses_, allowedCountries_, blockedCountries_);
    }

    function allowedCountries() external view returns (bytes2[] memory) {
        return _allowedCountries;
    }

    function blockedCountries() external view returns (bytes2[] memory) {
        return _blockedCountries;
    }

    function mint(address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        _mint(to, amount);
    }

    function mintBatch(address[] calldata to, uint256[] calldata amounts) external onlyRole(AGENT_ROLE) {
        if (to.length != amounts.length) revert BatchLengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) {
            _mint(to[i], amounts[i]);
        }
    }

    function burn(address from, uint256 amount) external onlyRole(AGENT_ROLE) {
        _burn(from, amount);
    }

    /// @notice Recovery: the agent moves tokens between whitelisted addresses, frozen or not, whatever the circulation rules.
    function forcedTransfer(address from, address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        if (!isWhitelisted[to]) revert NotWhitelisted(to);
        // Past _update's checks: the circulation rules do not bind the agent's recovery.
        ERC20._update(from, to, amount);
        _countHolders(from, to, amount);
    }

    /// @notice A trade on `venueId` (called by the settlement contract in the same transaction as the payment leg).
    function venueTransfer(bytes32 venueId, address from, address to, uint256 amount) external onlyRole(AGENT_ROLE) {
        _venue = venueId;
        _transfer(from, to, amount);
        _venue = bytes32(0);
        emit VenueTrade(venueId, from, to, amount);
    }

    function pause() external onlyRole(AGENT_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(AGENT_ROLE) {
        _unpause();
    }

    /// @notice ERC-1404: the first restriction a holder's transfer of `amount` from `from` to `to` meets now (0: none).
    function detectTransferRestriction(address from, address to, uint256 amount) public view returns (uint8) {
        return _restriction(from, to, amount, bytes32(0));
    }

    /// @notice The same for a trade on `venueId`.
    function detectVenueTransferRestriction(bytes32 venueId, address from, address to, uint256 amount) public view returns (uint8) {
        return _restriction(from, to, amount, venueId);
    }

    /// @notice ERC-7943.
    function canTransfer(address from, address to, uint256 amount) external view returns (bool) {
        return _restriction(from, to, amount, bytes32(0)) == NO_RESTRICTION;
    }

    /// @notice ERC-1404.
    function messageForTransferRestriction(uint8 code) external pure returns (string memory) {
        if (code == NO_RESTRICTION) return "no restriction";
        if (code == PAUSED) return "the token is paused";
        if (code == SENDER_NOT_WHITELISTED) return "the sender is not whitelisted";
        if (code == RECEIVER_NOT_WHITELISTED) return "the receiver is not whitelisted";
        if (code == SENDER_FROZEN) return "the sender is frozen";
        if (code == RECEIVER_FROZEN) return "the receiver is frozen";
        if (code == LOCKED_UP) return "the tokens are locked up";
        if (code == INSUFFICIENT_BALANCE) return "the sender's balance is too small";
        if (code == AMOUNT_FROZEN) return "part of the sender's balance is frozen";
        if (code == VENUE_NOT_ADMITTED) return "the venue is not admitted";
        if (code == COUNTRY_BLOCKED) return "the receiver's country is blocked";
        if (code == COUNTRY_NOT_ALLOWED) return "the receiver's country is not allowed";
        if (code == INVESTOR_CLASS_NOT_ALLOWED) return "the receiver's investor class may not buy here";
        if (code == HOLDER_LIMIT_REACHED) return "the token has its most holders";
        if (code == BALANCE_LIMIT_EXCEEDED) return "the receiver would hold more than allowed";
        return "unknown restriction";
    }

    function _restriction(address from, address to, uint256 amount, bytes32 venueId) internal view returns (uint8) {
        if (paused()) return PAUSED;
        if (!isWhitelisted[from]) return SENDER_NOT_WHITELISTED;
        if (!isWhitelisted[to]) return RECEIVER_NOT_WHITELISTED;
        if (isFrozen[from]) return SENDER_FROZEN;
        if (isFrozen[to]) return RECEIVER_FROZEN;
        if (block.timestamp < lockUntil) return LOCKED_UP;
        uint256 balance = balanceOf(from);
        if (amount > balance) return INSUFFICIENT_BALANCE;
        if (amount > balance - _min(frozenAmount[from], balance)) return AMOUNT_FROZEN;
        if (venueId != bytes32(0) && !venueAdmitted[venueId]) return VENUE_NOT_ADMITTED;
        if (from == to || amount == 0) return NO_RESTRICTION;
        bytes2 country = countryOf[to];
        if (_contains(_blockedCountries, country)) return COUNTRY_BLOCKED;
        if (_allowedCountries.length > 0 && !_contains(_allowedCountries, country)) return COUNTRY_NOT_ALLOWED;
        uint8 classes = venueId != bytes32(0) ? secondaryClasses | venueClasses : secondaryClasses;
        if (classes & (uint8(1) << investorClassOf[to]) == 0) return INVESTOR_CLASS_NOT_ALLOWED;
        uint256 toBalance = balanceOf(to);
        // A new holder while the sender keeps some: one more holder.
        if (maxHolders != 0 && toBalance == 0 && amount < balance && holderCount >= maxHolders) return HOLDER_LIMIT_REACHED;
        if (maxBalance != 0 && toBalance + amount > maxBalance) return BALANCE_LIMIT_EXCEEDED;
        return NO_RESTRICTION;
    }

    /// @dev Reverts with the custom error of `code`.
    function _refuse(uint8 code, address from, address to, uint256 amount) internal view {
        if (code == PAUSED) revert EnforcedPause();
        if (code == SENDER_NOT_WHITELISTED) revert NotWhitelisted(from);
        if (code == RECEIVER_NOT_WHITELISTED) revert NotWhitelisted(to);
        if (code == SENDER_FROZEN) revert AccountFrozen(from);
        if (code == RECEIVER_FROZEN) revert AccountFrozen(to);
        if (code == LOCKED_UP) revert TransferLocked(lockUntil);
        if (code == INSUFFICIENT_BALANCE) revert ERC20InsufficientBalance(from, balanceOf(from), amount);
        if (code == AMOUNT_FROZEN) {
            uint256 balance = balanceOf(from);
            revert InsufficientUnfrozenBalance(from, balance - _min(frozenAmount[from], balance), amount);
        }
        if (code == VENUE_NOT_ADMITTED) revert VenueNotAdmitted(_venue);
        if (code == COUNTRY_BLOCKED) revert CountryBlocked(to, countryOf[to]);
        if (code == COUNTRY_NOT_ALLOWED) revert CountryNotAllowed(to, countryOf[to]);
        if (code == INVESTOR_CLASS_NOT_ALLOWED) revert InvestorClassNotAllowed(to, investorClassOf[to]);
        if (code == HOLDER_LIMIT_REACHED) revert HolderLimitReached(maxHolders);
        if (code == BALANCE_LIMIT_EXCEEDED) revert BalanceLimitExceeded(to, balanceOf(to) + amount, maxBalance);
    }

    function _contains(bytes2[] storage list, bytes2 value) private view returns (bool) {
        for (uint256 i = 0; i < list.length; i++) if (list[i] == value) return true;
        return false;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev Keeps holderCount: an address enters at its first tokens and leaves at zero.
    function _countHolders(address from, address to, uint256 value) private {
        if (value == 0 || from == to) return;
        if (to != address(0) && balanceOf(to) == value) holderCount += 1;
        if (from != address(0) && balanceOf(from) == 0) holderCount -= 1;
    }

    /// @dev Every mint, burn and transfer passes here. A holder's transfer (or a venue trade)
    /// meets every circulation rule; a mint needs a whitelisted, unfrozen receiver; a burn an
    /// unfrozen holder.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Pausable) {
        if (from != address(0) && to != address(0)) {
            uint8 code = _restriction(from, to, value, _venue);
            if (code != NO_RESTRICTION) _refuse(code, from, to, value);
        } else if (to != address(0)) {
            if (!isWhitelisted[to]) revert NotWhitelisted(to);
            if (isFrozen[to]) revert AccountFrozen(to);
        } else if (from != address(0)) {
            if (isFrozen[from]) revert AccountFrozen(from);
        }
        super._update(from, to, value);
        _countHolders(from, to, value);
    }
}
